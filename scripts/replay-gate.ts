/**
 * The replay gate: downloads the histories of the runs a visibility query selects from a live Temporal and
 * replays each against a workflow bundle. A run whose history the new code cannot reproduce would break (or,
 * pinned to an old build, never reach) that code: the gate reports it before the deploy does.
 */
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { Worker, type WorkflowBundleOption } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';

type History = temporal.api.history.v1.IHistory;

/** Histories downloaded ahead of the replay: enough to hide the round trips, few enough to bound memory. */
const DEFAULT_PREFETCH = 8;

/** Every open run plus the runs closed within `closedWithinDays`, on one task queue. */
export function defaultReplayQuery(taskQueue: string, closedWithinDays: number, now = new Date()): string {
  const since = new Date(now.getTime() - closedWithinDays * 24 * 60 * 60 * 1000).toISOString();
  return `TaskQueue = '${taskQueue.replace(/'/g, "\\'")}' AND (ExecutionStatus = 'Running' OR CloseTime > '${since}')`;
}

/**
 * Leaves out the runs pinned to a build (Worker Versioning on): they finish on their own build and never meet
 * the code being deployed. Unversioned runs (started before versioning was turned on) and auto-upgrade runs stay.
 */
export function withoutPinnedRuns(query: string): string {
  return `(${query}) AND (TemporalWorkflowVersioningBehavior IS NULL OR TemporalWorkflowVersioningBehavior != 'Pinned')`;
}

export interface DivergingEvent {
  eventId: number;
  /** The event's type in the history, e.g. `ActivityTaskScheduled`. */
  eventType?: string;
}

export interface ReplayFailure {
  workflowId: string;
  runId: string;
  workflowType: string;
  /** `nondeterminism`: the code issues other commands than the history holds; `error`: replay failed otherwise. */
  kind: 'nondeterminism' | 'error';
  message: string;
  divergingEvent?: DivergingEvent;
}

export interface ReplayGateReport {
  query: string;
  replayed: number;
  failures: ReplayFailure[];
  byWorkflowType: Record<string, { replayed: number; failed: number }>;
  elapsedMs: number;
}

export interface ReplayGateOptions {
  client: Client;
  query: string;
  workflowBundle: WorkflowBundleOption;
  /** The service's data converter: histories hold encrypted payloads. */
  dataConverter: DataConverter;
  /** Called after each run and at each failure. */
  onProgress?: (event: { replayed: number; failure?: ReplayFailure }) => void;
  prefetch?: number;
}

interface RunToReplay {
  info: WorkflowExecutionInfo;
  history: History;
}

/** Lists the runs page by page and downloads their histories a few ahead, in list order. */
async function* runsToReplay(client: Client, query: string, prefetch: number): AsyncGenerator<RunToReplay> {
  const pending: Array<Promise<RunToReplay>> = [];
  const download = async (info: WorkflowExecutionInfo): Promise<RunToReplay> => ({
    info,
    history: await client.workflow.getHandle(info.workflowId, info.runId).fetchHistory(),
  });
  for await (const info of client.workflow.list({ query, pageSize: 100 })) {
    pending.push(download(info));
    if (pending.length >= prefetch) yield await (pending.shift() as Promise<RunToReplay>);
  }
  while (pending.length > 0) yield await (pending.shift() as Promise<RunToReplay>);
}

/** EVENT_TYPE_ACTIVITY_TASK_SCHEDULED -> ActivityTaskScheduled, as the UI and the core's messages spell it. */
const EVENT_TYPE_NAMES = new Map(
  Object.entries(temporal.api.enums.v1.EventType)
    .filter((entry): entry is [string, number] => typeof entry[1] === 'number')
    .map(([name, value]) => [
      value,
      name
        .replace(/^EVENT_TYPE_/, '')
        .toLowerCase()
        .split('_')
        .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
        .join(''),
    ]),
);

function eventTypeName(history: History, eventId: number): string | undefined {
  const event = history.events?.find((candidate) => Number(candidate.eventId) === eventId);
  return event?.eventType == null ? undefined : EVENT_TYPE_NAMES.get(event.eventType);
}

/**
 * The core names the event it could not match in its message (`HistoryEvent(id: 5, ...)`, `event 5`, ...);
 * the first event id mentioned is where replay diverged.
 */
export function divergingEventOf(message: string, history: History): DivergingEvent | undefined {
  const match =
    /HistoryEvent\s*\(\s*id:\s*(\d+)/.exec(message) ?? /\bevent(?:[ _]id)?[:\s#]+(\d+)/i.exec(message);
  const eventId = match ? Number(match[1]) : patchMarkerEventId(message, history);
  if (eventId === undefined) return undefined;
  return { eventId, eventType: eventTypeName(history, eventId) };
}

/**
 * "Patch marker encountered for change X, but there is no corresponding change command": the core names the
 * patch, not the event; the event is the marker that recorded X.
 */
function patchMarkerEventId(message: string, history: History): number | undefined {
  const change = /patch marker encountered for change ([^\s,]+)/i.exec(message)?.[1];
  if (change === undefined) return undefined;
  const marker = history.events?.find((event) => {
    const attributes = event.markerRecordedEventAttributes;
    const data = attributes?.details?.['patch-data']?.payloads?.[0]?.data;
    if (attributes?.markerName !== 'core_patch' || data == null) return false;
    try {
      return (JSON.parse(Buffer.from(data).toString('utf8')) as { id?: unknown }).id === change;
    } catch {
      return false;
    }
  });
  return marker?.eventId == null ? undefined : Number(marker.eventId);
}

export async function runReplayGate(options: ReplayGateOptions): Promise<ReplayGateReport> {
  const startedAt = Date.now();
  const report: ReplayGateReport = {
    query: options.query,
    replayed: 0,
    failures: [],
    byWorkflowType: {},
    elapsedMs: 0,
  };
  // Replay runs one history at a time, in the order given, so the results line up with this queue.
  const inFlight: RunToReplay[] = [];
  async function* histories() {
    for await (const run of runsToReplay(
      options.client,
      options.query,
      options.prefetch ?? DEFAULT_PREFETCH,
    )) {
      inFlight.push(run);
      yield { workflowId: run.info.workflowId, history: run.history };
    }
  }
  const results = Worker.runReplayHistories(
    { workflowBundle: options.workflowBundle, dataConverter: options.dataConverter },
    histories(),
  );
  for await (const result of results) {
    const run = inFlight.shift();
    if (!run) throw new Error(`replay result for ${result.workflowId} with no run queued`);
    const { info, history } = run;
    const counts = (report.byWorkflowType[info.type] ??= { replayed: 0, failed: 0 });
    counts.replayed += 1;
    report.replayed += 1;
    let failure: ReplayFailure | undefined;
    if (result.error) {
      const message = result.error.message;
      failure = {
        workflowId: info.workflowId,
        runId: info.runId,
        workflowType: info.type,
        kind: result.error instanceof DeterminismViolationError ? 'nondeterminism' : 'error',
        message,
        divergingEvent: divergingEventOf(message, history),
      };
      counts.failed += 1;
      report.failures.push(failure);
    }
    options.onProgress?.({ replayed: report.replayed, failure });
  }
  report.elapsedMs = Date.now() - startedAt;
  return report;
}
