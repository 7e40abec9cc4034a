/** The queue: runs waiting for a reviewer (or parked), oldest first, with filters as in the list route. */
import { html, queryString, type Html } from '../html';
import {
  QUEUE_SCAN_LIMIT,
  QUEUE_SHOWN_LIMIT,
  QUEUE_STAGES,
  type Queue,
  type QueueEntry,
  type QueueFilter,
} from '../queue';
import { age, when } from './format';

const STAGE_LABELS: Record<(typeof QUEUE_STAGES)[number], string> = {
  manual_review: 'Manual review',
  needs_attention: 'Parked (needs attention)',
};

function filterForm(filter: QueueFilter): Html {
  return html`<form class="filters" method="get" action="/console/queue" aria-label="Filters">
    <div>
      <label for="stage">Stage</label>
      <select id="stage" name="stage">
        <option value="">both</option>
        ${QUEUE_STAGES.map(
          (stage) =>
            html`<option value="${stage}" ${filter.stage === stage ? html` selected` : ''}>
              ${STAGE_LABELS[stage]}
            </option>`,
        )}
      </select>
    </div>
    <div>
      <label for="customerIdPrefix">Customer id starts with</label>
      <input id="customerIdPrefix" name="customerIdPrefix" value="${filter.customerIdPrefix ?? ''}" />
    </div>
    <div>
      <label for="startedAfter">Started after</label>
      <input
        id="startedAfter"
        name="startedAfter"
        placeholder="2026-11-01T00:00:00Z"
        value="${filter.startedAfter ?? ''}"
      />
    </div>
    <div>
      <label for="startedBefore">Started before</label>
      <input
        id="startedBefore"
        name="startedBefore"
        placeholder="2026-11-30T00:00:00Z"
        value="${filter.startedBefore ?? ''}"
      />
    </div>
    <div><button type="submit">Filter</button> <a href="/console/queue">Clear</a></div>
  </form>`;
}

function escalation(entry: QueueEntry, now: Date): Html {
  const state = entry.state;
  if (!state) return html`<span class="muted">unknown (no worker answered)</span>`;
  if (state.stage === 'needs_attention' && state.attention) {
    return html`retries by itself ${when(state.attention.retryAt)}`;
  }
  const escalatedAt = state.timestamps.escalatedAt;
  return escalatedAt
    ? html`<span class="tag bad">escalated ${age(escalatedAt, now)} ago</span>`
    : html`<span class="tag">not escalated</span>`;
}

function reasons(entry: QueueEntry): Html {
  const state = entry.state;
  const list =
    state?.stage === 'needs_attention' && state.attention
      ? [state.attention.reason]
      : (state?.reasons ?? (entry.run.attentionReason ? [entry.run.attentionReason] : []));
  return html`${list.map((reason) => html`<span class="tag warn">${reason}</span>`)}`;
}

export function queueBody(queue: Queue, filter: QueueFilter, now: Date): Html {
  const rows = queue.entries.map(
    (entry) =>
      html`<tr>
        <td>
          <a href="/console/cases/${encodeURIComponent(entry.run.customerId)}">${entry.run.customerId}</a>
        </td>
        <td>
          ${entry.run.stage ? (STAGE_LABELS[entry.run.stage as keyof typeof STAGE_LABELS] ?? entry.run.stage) : '—'}
        </td>
        <td title="${when(entry.run.startedAt)}">${age(entry.run.startedAt, now)}</td>
        <td>${reasons(entry)}</td>
        <td>${escalation(entry, now)}</td>
      </tr>`,
  );
  const shownAll = queue.entries.length === queue.found;
  return html`<h1>Review queue</h1>
    ${filterForm(filter)}
    <p class="muted">
      ${queue.found} waiting
      run${queue.found === 1 ? '' : 's'}${shownAll ? '' : `, the ${QUEUE_SHOWN_LIMIT} oldest shown`}; oldest
      first.
    </p>
    ${
      queue.truncated
        ? html`<p class="notice" role="status">
            More than ${QUEUE_SCAN_LIMIT} runs match in one stage: only the ${QUEUE_SCAN_LIMIT} most recently
            started were read, so older ones may be missing. Narrow the filters (e.g. Started before) to see
            them.
          </p>`
        : ''
    }
    ${
      queue.entries.length === 0
        ? html`<p class="notice ok">
            Nothing is waiting${queryString({ ...filter }) ? ' for these filters' : ''}.
          </p>`
        : html`<table>
            <caption class="muted">
              Runs in manual review or parked, oldest first
            </caption>
            <thead>
              <tr>
                <th scope="col">Customer</th>
                <th scope="col">Stage</th>
                <th scope="col">Age</th>
                <th scope="col">Reasons</th>
                <th scope="col">Escalation</th>
              </tr>
            </thead>
            <tbody>
              ${rows}
            </tbody>
          </table>`
    }`;
}
