/**
 * Open-loop load at a fixed rate: request i is due at start + i / rate whatever happened to earlier ones, so a
 * slow server cannot slow the arrivals down (no coordinated omission). Latency is measured from the moment a
 * request was due, and separately from when it actually left, so a lagging generator shows as `dispatchLag`.
 */
import { performance } from 'node:perf_hooks';
import { summarize, type LatencySummary } from './percentiles';

export interface SendOutcome {
  /** Answered as the contract says (e.g. 2xx with the customer URL). */
  ok: boolean;
  /** Why it failed: an HTTP status, an error name. A failed request that was answered still has a latency. */
  failure?: string;
}

export interface OpenLoopOptions {
  ratePerSecond: number;
  durationMs: number;
  send(index: number): Promise<SendOutcome>;
  /** Called about every 250 ms with the counts so far. */
  onTick?(state: { sent: number; done: number; failed: number; total: number }): void;
  /** Requests still unanswered this long after the last one was sent count as failed. */
  drainTimeoutMs?: number;
}

export interface OpenLoopResult {
  sent: number;
  succeeded: number;
  failed: number;
  /** Failure reason → count. */
  failures: Record<string, number>;
  /** From the moment each request was due to its answer, for every answered request (failed ones too). */
  latency: LatencySummary;
  /** From the moment each request actually left to its answer. */
  serviceTime: LatencySummary;
  /** Latency of the successful requests only. */
  successLatency: LatencySummary;
  /** How late the generator sent requests (its own event loop was busy). */
  dispatchLag: LatencySummary;
  /** Requests per second that actually went out. */
  achievedRate: number;
  elapsedMs: number;
}

const TICK_MS = 250;

export async function runOpenLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const total = Math.max(1, Math.round((options.ratePerSecond * options.durationMs) / 1000));
  const intervalMs = 1000 / options.ratePerSecond;
  const latencies: number[] = [];
  const successLatencies: number[] = [];
  const serviceTimes: number[] = [];
  let succeeded = 0;
  const lags: number[] = [];
  const failures: Record<string, number> = {};
  const pending = new Set<Promise<void>>();
  let sent = 0;
  let done = 0;
  let failed = 0;

  const fire = (index: number, dueAt: number): void => {
    const leftAt = performance.now();
    lags.push(leftAt - dueAt);
    sent += 1;
    const request = options
      .send(index)
      .then(
        (outcome) => ({ outcome, answered: true }),
        (error: unknown) => ({
          outcome: { ok: false, failure: errorName(error) } as SendOutcome,
          answered: false,
        }),
      )
      .then(({ outcome, answered }) => {
        const answeredAt = performance.now();
        done += 1;
        if (answered) {
          latencies.push(answeredAt - dueAt);
          serviceTimes.push(answeredAt - leftAt);
        }
        if (outcome.ok) {
          succeeded += 1;
          successLatencies.push(answeredAt - dueAt);
        } else {
          failed += 1;
          const reason = outcome.failure ?? 'failed';
          failures[reason] = (failures[reason] ?? 0) + 1;
        }
      });
    pending.add(request);
    void request.finally(() => pending.delete(request));
  };

  const startedAt = performance.now();
  let lastTick = startedAt;
  let next = 0;
  while (next < total) {
    const now = performance.now();
    // Everything that is due goes out now, in order: a late timer must not thin the arrivals out.
    while (next < total && startedAt + next * intervalMs <= now) {
      fire(next, startedAt + next * intervalMs);
      next += 1;
    }
    if (options.onTick && now - lastTick >= TICK_MS) {
      lastTick = now;
      options.onTick({ sent, done, failed, total });
    }
    if (next < total) await sleep(Math.max(0, startedAt + next * intervalMs - performance.now()));
  }
  const lastSentAt = performance.now();

  const drainTimeoutMs = options.drainTimeoutMs ?? 30_000;
  const drained = await Promise.race([
    Promise.all([...pending]).then(() => true),
    sleep(drainTimeoutMs).then(() => false),
  ]);
  if (!drained) {
    const stuck = sent - done;
    failed += stuck;
    failures.unanswered = (failures.unanswered ?? 0) + stuck;
  }
  options.onTick?.({ sent, done, failed, total });
  const elapsedMs = performance.now() - startedAt;
  return {
    sent,
    succeeded,
    failed,
    failures,
    latency: summarize(latencies),
    serviceTime: summarize(serviceTimes),
    successLatency: summarize(successLatencies),
    dispatchLag: summarize(lags),
    achievedRate: sent / ((lastSentAt - startedAt) / 1000 || 1),
    elapsedMs,
  };
}

function errorName(error: unknown): string {
  if (error instanceof Error) return (error as NodeJS.ErrnoException).code ?? error.name;
  return 'error';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
