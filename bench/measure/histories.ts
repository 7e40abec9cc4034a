/**
 * Reads workflow histories: the shape of a run (so the floor gets as many activities as the service really
 * ran) and the signals a run received (so every webhook the API acknowledged can be found in history).
 */
import { defaultPayloadConverter, type Client, type WorkflowHandle } from '@temporalio/client';
import type { DataConverter, Payload } from '@temporalio/common';

type History = Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;

/** Turns a payload from history back into its value, through the converter's codecs (the service encrypts). */
export type PayloadReader = (payload: Payload) => Promise<unknown>;

export function payloadReader(converter: DataConverter): PayloadReader {
  const codecs = [...(converter.payloadCodecs ?? [])].reverse();
  return async (payload) => {
    let decoded = [payload];
    for (const codec of codecs) decoded = await codec.decode(decoded);
    return defaultPayloadConverter.fromPayload(decoded[0]);
  };
}

export interface RunShape {
  activities: number;
  activitiesBeforeFirstSignal: number;
  signals: number;
  events: number;
  /** Workflow tasks that timed out (e.g. a sticky queue no worker took in time) or failed: each costs a retry. */
  workflowTasksTimedOut: number;
  workflowTasksFailed: number;
}

export async function runShape(client: Client, workflowId: string): Promise<RunShape> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  let activities = 0;
  let activitiesBeforeFirstSignal = 0;
  let signals = 0;
  let workflowTasksTimedOut = 0;
  let workflowTasksFailed = 0;
  for (const event of history.events ?? []) {
    if (event.workflowTaskTimedOutEventAttributes) workflowTasksTimedOut += 1;
    if (event.workflowTaskFailedEventAttributes) workflowTasksFailed += 1;
    if (event.activityTaskScheduledEventAttributes) {
      activities += 1;
      if (signals === 0) activitiesBeforeFirstSignal += 1;
    }
    if (event.workflowExecutionSignaledEventAttributes) signals += 1;
  }
  return {
    activities,
    activitiesBeforeFirstSignal,
    signals,
    events: history.events?.length ?? 0,
    workflowTasksTimedOut,
    workflowTasksFailed,
  };
}

export interface SignalsInHistory {
  /** Every signal of that name. */
  count: number;
  /** The `deliveryId` field of each signal's argument, when the payloads could be read. */
  deliveryIds?: Set<string>;
}

export async function signalsInHistory(
  client: Client,
  workflowId: string,
  signalName: string,
  read: PayloadReader,
): Promise<SignalsInHistory> {
  const history: History = await client.workflow.getHandle(workflowId).fetchHistory();
  let count = 0;
  let deliveryIds: Set<string> | undefined = new Set<string>();
  for (const event of history.events ?? []) {
    const signal = event.workflowExecutionSignaledEventAttributes;
    if (!signal || signal.signalName !== signalName) continue;
    count += 1;
    const payload = signal.input?.payloads?.[0];
    try {
      const argument = payload ? ((await read(payload)) as { deliveryId?: unknown } | undefined) : undefined;
      if (typeof argument?.deliveryId === 'string') deliveryIds?.add(argument.deliveryId);
      else deliveryIds = undefined;
    } catch {
      // Unreadable payloads (a key the ring lacks): fall back to counting.
      deliveryIds = undefined;
    }
  }
  return { count, deliveryIds };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)] : Number.NaN;
}
