/**
 * One run's history, read through the client's data converter (so encrypted payloads decrypt): the workflow
 * input (the registration the product sent), the KYC summary the run fetched from Ondato (the result of its
 * last `getIdentification` activity), and a timeline of what happened: stages, activities, webhooks, ops
 * messages and callbacks, with times.
 */
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter, type LoadedDataConverter } from '@temporalio/common';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import { temporal } from '@temporalio/proto';
import { OnboardingStageKey } from '../../contract';
import { rethrowIfUnavailable } from '../temporal-errors';
import {
  kycSummarySchema,
  notifyInputSchema,
  notifyResultSchema,
  webhookSignalSchema,
  workflowInputSchema,
  type KycSummaryView,
  type RegistrationView,
} from './case-schemas';

const EventType = temporal.api.enums.v1.EventType;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type Payloads = temporal.api.common.v1.IPayloads | null | undefined;

/** A timeline keeps the first entries of a run that took thousands of webhooks; the rest are counted. */
export const TIMELINE_LIMIT = 400;

export interface TimelineEntry {
  at: Date;
  kind: 'stage' | 'activity' | 'webhook' | 'ops' | 'callback' | 'run';
  text: string;
  /** A failed attempt, a failed run. */
  problem?: boolean;
}

export interface RunHistory {
  registration?: RegistrationView;
  /** False when the input could not be read (decryption failed or the shape is unknown). */
  inputReadable: boolean;
  kyc?: KycSummaryView;
  timeline: TimelineEntry[];
  /** Entries left out past TIMELINE_LIMIT. */
  omitted: number;
  /** The run this one continued from (continue-as-new), whose history holds what came before. */
  continuedFromRunId?: string;
}

export async function readRunHistory(
  client: Client,
  workflowId: string,
  runId: string,
  deadlineMs: number,
): Promise<RunHistory> {
  let events: HistoryEvent[];
  try {
    const history = await client.withDeadline(Date.now() + deadlineMs, () =>
      client.workflow.getHandle(workflowId, runId).fetchHistory(),
    );
    events = history.events ?? [];
  } catch (error) {
    rethrowIfUnavailable(error);
  }
  return summarizeHistory(events, client.options.loadedDataConverter);
}

/** What a case page needs from one run's events; payloads decode through `converter` (decrypting them). */
export function summarizeHistory(
  events: readonly HistoryEvent[],
  converter: LoadedDataConverter,
): Promise<RunHistory> {
  return new HistoryWalk(converter).walk(events);
}

class HistoryWalk {
  private readonly result: RunHistory = { inputReadable: false, timeline: [], omitted: 0 };
  private readonly scheduled = new Map<string, { type: string; input: Payloads }>();

  constructor(private readonly converter: LoadedDataConverter) {}

  async walk(events: readonly HistoryEvent[]): Promise<RunHistory> {
    for (const event of events) await this.visit(event);
    return this.result;
  }

  private add(event: HistoryEvent, kind: TimelineEntry['kind'], text: string, problem = false): void {
    if (this.result.timeline.length >= TIMELINE_LIMIT) {
      this.result.omitted += 1;
      return;
    }
    this.result.timeline.push({
      at: eventTime(event),
      kind,
      text,
      ...(problem ? { problem } : {}),
    });
  }

  private async decode(payloads: Payloads, index = 0): Promise<unknown> {
    try {
      return await decodeFromPayloadsAtIndex<unknown>(this.converter, index, payloads?.payloads);
    } catch {
      return undefined;
    }
  }

  private async visit(event: HistoryEvent): Promise<void> {
    switch (event.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED: {
        const started = event.workflowExecutionStartedEventAttributes;
        const input = workflowInputSchema.safeParse(await this.decode(started?.input));
        this.result.inputReadable = input.success;
        if (input.success) this.result.registration = input.data.registration;
        if (started?.continuedExecutionRunId)
          this.result.continuedFromRunId = started.continuedExecutionRunId;
        this.add(
          event,
          'run',
          started?.continuedExecutionRunId ? 'run continued from an earlier run' : 'run started',
        );
        return;
      }
      case EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: {
        const fields = event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields;
        const payload = fields?.[OnboardingStageKey.name];
        if (payload) this.add(event, 'stage', `stage ${keywordOf(payload)}`);
        return;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: {
        const scheduled = event.activityTaskScheduledEventAttributes;
        this.scheduled.set(String(event.eventId), {
          type: scheduled?.activityType?.name ?? 'activity',
          input: scheduled?.input,
        });
        return;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: {
        const completed = event.activityTaskCompletedEventAttributes;
        const activity = this.scheduled.get(String(completed?.scheduledEventId));
        if (!activity) return;
        if (activity.type === 'getIdentification') {
          const kyc = kycSummarySchema.safeParse(await this.decode(completed?.result));
          if (kyc.success) this.result.kyc = kyc.data;
        }
        if (activity.type === 'notifyBackend') {
          const sent = notifyInputSchema.safeParse(await this.decode(activity.input));
          const result = notifyResultSchema.safeParse(await this.decode(completed?.result));
          const what = sent.success ? sent.data.event.type : 'event';
          const fate = result.success && !result.data.delivered ? 'not sent (no callback URL)' : 'delivered';
          this.add(event, 'callback', `callback ${what} ${fate}`);
          return;
        }
        this.add(event, 'activity', `${activity.type} done`);
        return;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED:
      case EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT: {
        const id =
          event.activityTaskFailedEventAttributes?.scheduledEventId ??
          event.activityTaskTimedOutEventAttributes?.scheduledEventId;
        const activity = this.scheduled.get(String(id));
        this.add(
          event,
          activity?.type === 'notifyBackend' ? 'callback' : 'activity',
          `${activity?.type ?? 'activity'} gave up`,
          true,
        );
        return;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED: {
        const signaled = event.workflowExecutionSignaledEventAttributes;
        if (signaled?.signalName === 'ondatoWebhook') {
          const signal = webhookSignalSchema.safeParse(await this.decode(signaled.input));
          this.add(event, 'webhook', `webhook ${signal.success ? signal.data.type : ''}`.trim());
        } else {
          this.add(event, 'ops', `signal ${signaled?.signalName ?? ''}`.trim());
        }
        return;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED: {
        const name = event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name;
        if (name && name !== 'customerLink') this.add(event, 'ops', `update ${name} accepted`);
        return;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
        this.add(event, 'run', 'run completed');
        return;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
        this.add(event, 'run', 'run continued as new');
        return;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
        this.add(event, 'run', 'run closed without completing', true);
        return;
      default:
        return;
    }
  }
}

/** A keyword search attribute: JSON, a string (or, as older servers wrote it, a list of one). */
function keywordOf(payload: temporal.api.common.v1.IPayload): string {
  try {
    const value: unknown = defaultPayloadConverter.fromPayload(payload);
    if (typeof value === 'string') return value;
    if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  } catch {
    // An unreadable value is shown as such.
  }
  return '(unreadable)';
}

/** An event's time; its seconds are a Long from the server, a number or string from exported JSON. */
function eventTime(event: HistoryEvent): Date {
  const seconds = Number(event.eventTime?.seconds ?? 0);
  return new Date(seconds * 1000 + Math.floor((event.eventTime?.nanos ?? 0) / 1e6));
}
