/**
 * A case: the registration beside what Ondato extracted (every mismatch the policy found highlighted), Ondato's
 * statuses and rule results, the document images, the decision form, and the run's timeline.
 */
import type { StoredDocument } from '../../../contract';
import type { CaseFile } from '../case-file';
import type { KycSummaryView, RegistrationView } from '../case-schemas';
import { html, type Html } from '../html';
import { NOTE_LIMIT, REVIEW_REASONS } from '../review-reasons';
import { when } from './format';

type Compared = 'firstName' | 'lastName' | 'dateOfBirth' | 'personalCode';

interface Row {
  label: string;
  registered?: string;
  extracted?: string;
  /** Why the row is highlighted: the policy's reason, when it named this field. */
  flag?: string;
}

function comparisonRows(
  registration: RegistrationView | undefined,
  kyc: KycSummaryView | undefined,
  reasons: readonly string[],
): Row[] {
  const document = kyc?.document ?? {};
  const compared = (label: string, field: Compared): Row => ({
    label,
    registered: registration?.[field],
    extracted: document[field],
    flag: reasons.includes(`data_mismatch:${field}`) ? `data_mismatch:${field}` : undefined,
  });
  return [
    compared('First name', 'firstName'),
    { label: 'Middle name', registered: registration?.middleName },
    compared('Last name', 'lastName'),
    compared('Birth date', 'dateOfBirth'),
    compared('Personal code', 'personalCode'),
    { label: 'Document type', extracted: document.type },
    {
      label: 'Document expiry',
      extracted: document.dateOfExpiration?.slice(0, 10),
      flag: reasons.includes('document_expired') ? 'document_expired' : undefined,
    },
    { label: 'Country', registered: registration?.countryCode },
    { label: 'E-mail', registered: registration?.email },
    {
      label: 'Phone',
      registered: registration?.phoneNumber === undefined ? undefined : `+${registration.phoneNumber}`,
    },
  ];
}

function comparison(file: CaseFile): Html {
  const rows = comparisonRows(file.registration, file.kyc, file.status.reasons);
  return html`<h2 id="data">Registration and document</h2>
    ${file.inputReadable ? '' : html`<p class="notice bad">The registration in this run’s input could not be read.</p>`}
    ${file.kyc ? '' : html`<p class="notice">No KYC identification was fetched in this run’s history.</p>`}
    <table aria-describedby="data">
      <thead>
        <tr>
          <th scope="col">Field</th>
          <th scope="col">Sent by the product</th>
          <th scope="col">Extracted by Ondato</th>
          <th scope="col">Policy</th>
        </tr>
      </thead>
      <tbody>
        ${rows.map(
          (row) => html`<tr${row.flag ? html` class="mismatch"` : ''}>
  <th scope="row">${row.label}</th><td>${row.registered ?? '—'}</td><td>${row.extracted ?? '—'}</td>
  <td class="flag">${row.flag ? html`⚠ ${row.flag}` : ''}</td>
</tr>`,
        )}
      </tbody>
    </table>
    <p class="muted">Ondato’s document number and issuing country are not kept in the run’s KYC summary.</p>`;
}

function ondato(file: CaseFile): Html {
  const { status, kyc } = file;
  return html`<h2>Ondato</h2>
    <dl class="facts">
      <dt>IDV status</dt>
      <dd>${status.idvStatus ?? '—'}</dd>
      <dt>KYC status</dt>
      <dd>${kyc?.status ?? status.kycStatus ?? '—'}${kyc?.statusReason ? ` (${kyc.statusReason})` : ''}</dd>
      <dt>Cross-checked</dt>
      <dd>${kyc?.isCrossChecked === undefined ? '—' : kyc.isCrossChecked ? 'yes' : 'no'}</dd>
    </dl>
    ${
      kyc && kyc.rules.length > 0
        ? html`<table>
            <thead>
              <tr>
                <th scope="col">Rule</th>
                <th scope="col">Result</th>
              </tr>
            </thead>
            <tbody>
              ${kyc.rules.map(
                (rule) =>
                  html`<tr${rule.status === 'Success' ? '' : html` class="mismatch"`}><td>${rule.name}</td><td class="${rule.status === 'Success' ? 'good' : 'bad'}">${rule.status}</td></tr>`,
              )}
            </tbody>
          </table>`
        : html`<p class="muted">No rule results.</p>`
    }
    <h2>Policy</h2>
    <p>
      ${status.reasons.map((reason) => html`<span class="tag warn">${reason}</span>`)}
      <span class="muted">policy ${status.policyVersion ?? '—'}</span>
    </p>`;
}

function documentLabel(document: StoredDocument): string {
  const type = document.fileType ?? 'File';
  return document.part && document.part !== type ? `${type}, ${document.part}` : type;
}

function documents(file: CaseFile): Html {
  const { status } = file;
  if (status.documents.length === 0)
    return html`<h2>Documents</h2>
      <p class="muted">No stored documents.</p>`;
  const base = `/console/cases/${encodeURIComponent(status.customerId)}/documents`;
  return html`<h2>Documents</h2>
    <div class="documents">
      ${status.documents.map((document) => {
        const url = `${base}/${encodeURIComponent(document.fileId)}?run=${encodeURIComponent(status.runId)}`;
        const image = document.contentType.startsWith('image/');
        return html`<figure>
          ${image ? html`<a href="${url}"><img src="${url}" alt="${documentLabel(document)}" loading="lazy" /></a>` : html`<a href="${url}">Open ${documentLabel(document)}</a>`}
          <figcaption>
            ${documentLabel(document)} · ${Math.round(document.bytes / 1024)} KiB · sha256
            ${document.sha256.slice(0, 12)}…
          </figcaption>
        </figure>`;
      })}
    </div>`;
}

function decisionForm(file: CaseFile, csrf: string): Html {
  const { status } = file;
  if (status.review) {
    return html`<h2>Decision</h2>
      <p class="notice ok">
        ${status.review.decision} by <strong>${status.review.reviewerId}</strong> at
        ${when(status.review.decidedAt)}${status.review.note ? html`: ${status.review.note}` : ''}
      </p>`;
  }
  if (status.stage !== 'manual_review' || status.status !== 'RUNNING') {
    return html`<h2>Decision</h2>
      <p class="notice">
        No review is pending: the run is in stage ${status.stage ?? 'unknown'} (${status.status}).
      </p>`;
  }
  return html`<h2 id="decide">Decision</h2>
    <form
      method="post"
      action="/console/cases/${encodeURIComponent(status.customerId)}/decision"
      class="decide"
    >
      <input type="hidden" name="csrf" value="${csrf}" />
      <input type="hidden" name="runId" value="${status.runId}" />
      <input type="hidden" name="stage" value="${status.stage}" />
      <fieldset>
        <legend>Outcome</legend>
        <label><input type="radio" name="decision" value="approved" required /> Approve</label>
        <label><input type="radio" name="decision" value="rejected" /> Reject</label>
      </fieldset>
      <div>
        <label for="reason">Reason</label>
        <select id="reason" name="reason" required>
          <option value="">choose…</option>
          ${Object.entries(REVIEW_REASONS).map(([code, label]) => html`<option value="${code}">${label}</option>`)}
        </select>
      </div>
      <div>
        <label for="note">Note</label>
        <textarea id="note" name="note" rows="3" cols="60" maxlength="${NOTE_LIMIT}"></textarea>
      </div>
      <button class="primary" type="submit">Record decision</button>
    </form>`;
}

function timeline(file: CaseFile): Html {
  return html`<h2>Timeline</h2>
    <table>
      <thead>
        <tr>
          <th scope="col">When</th>
          <th scope="col">What</th>
          <th scope="col">Event</th>
        </tr>
      </thead>
      <tbody>
        ${file.timeline.map(
          (entry) =>
            html`<tr${entry.problem ? html` class="mismatch"` : ''}><td>${when(entry.at)}</td><td>${entry.kind}</td><td>${entry.text}</td></tr>`,
        )}
      </tbody>
    </table>
    ${file.omitted > 0 ? html`<p class="muted">${file.omitted} more events not shown.</p>` : ''}
    ${file.earlierRunsUnread ? html`<p class="muted">Earlier runs of this onboarding are not shown: see the Temporal UI.</p>` : ''}`;
}

export function caseBody(file: CaseFile, options: { csrf: string; decided?: string }): Html {
  const { status } = file;
  return html`<h1>Case ${status.customerId}</h1>
    ${options.decided ? html`<p class="notice ok" role="status">Decision recorded: ${options.decided}.</p>` : ''}
    <dl class="facts">
      <dt>Stage</dt>
      <dd>${status.stage ?? '—'} (${status.status})</dd>
      <dt>Outcome</dt>
      <dd>${status.outcome ?? '—'}</dd>
      <dt>Started</dt>
      <dd>${when(status.timestamps.startedAt)}</dd>
      <dt>Escalated</dt>
      <dd>${when(status.timestamps.escalatedAt)}</dd>
      <dt>Run</dt>
      <dd>
        <a href="${file.temporalUiUrl}" rel="noreferrer">${status.workflowId} / ${status.runId}</a> (Temporal
        UI)
      </dd>
      <dt>IDV / KYC</dt>
      <dd>${status.idvId ?? '—'} / ${status.kycId ?? '—'}</dd>
    </dl>
    <div class="columns">
      <section>${comparison(file)}${documents(file)}</section>
      <section>${ondato(file)}${decisionForm(file, options.csrf)}</section>
    </div>
    ${timeline(file)}`;
}
