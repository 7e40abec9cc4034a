/**
 * A per-run signal budget for webhooks, so a flood of distinct deliveries for one run cannot walk it to
 * Temporal's per-run signal cap (the run's real webhooks would then bounce off that cap).
 *
 * Why deliveries can be merged: a webhook signal only wakes the run, which then re-fetches the truth from Ondato;
 * the payload is a trigger. Each run gets a token bucket: a burst of `burst` signals go out as they come (Ondato
 * sends a handful per run, so normal traffic is never touched), then one per `intervalMs`. Deliveries beyond
 * that are held and merged into ONE trailing signal, sent as soon as a token is back; every held delivery is
 * answered when that signal was accepted (or refused), so "2xx only once Temporal took the signal" still holds.
 *
 * A merged signal keeps the ids its deliveries agree on and drops the others: the workflow ignores a signal
 * for another verification, so one forged id must not hide the real delivery it was merged with. A signal
 * without ids wakes the run, which re-fetches; that is all a forged one can ever cause, at most once per interval.
 */
import { randomUUID } from 'node:crypto';
import type { OndatoWebhookSignal } from '../contract';

/** true once Temporal accepted the signal; false when the run does not exist or is closed. */
export type SendSignal = (signal: OndatoWebhookSignal) => Promise<boolean>;

export type BudgetOutcome = 'sent' | 'merged' | 'no_run';

export interface SignalBudgetOptions {
  /** Signals a run may receive back to back. */
  burst: number;
  /** Then one per this many milliseconds. */
  intervalMs: number;
  now?: () => number;
}

export const PER_RUN_WEBHOOK_BUDGET = { burst: 10, intervalMs: 1_000 } as const;

/** Idle buckets are forgotten once full again; this many runs are swept at a time. */
const SWEEP_ABOVE = 10_000;

interface Trailing {
  signals: OndatoWebhookSignal[];
  sent: Promise<boolean>;
}

interface Bucket {
  tokens: number;
  refilledAt: number;
  trailing?: Trailing;
}

export class SignalBudget {
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: () => number;

  constructor(private readonly options: SignalBudgetOptions = PER_RUN_WEBHOOK_BUDGET) {
    this.now = options.now ?? Date.now;
  }

  /** Sends `signal` to the run named by `runKey` now, or merges it into the run's next signal. */
  async submit(runKey: string, signal: OndatoWebhookSignal, send: SendSignal): Promise<BudgetOutcome> {
    const bucket = this.bucketOf(runKey);
    if (!bucket.trailing && bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return (await send(signal)) ? 'sent' : 'no_run';
    }
    const trailing = bucket.trailing ?? this.scheduleTrailing(bucket, send);
    trailing.signals.push(signal);
    return (await trailing.sent) ? 'merged' : 'no_run';
  }

  private scheduleTrailing(bucket: Bucket, send: SendSignal): Trailing {
    const waitMs = Math.max(0, (1 - bucket.tokens) * this.options.intervalMs);
    const signals: OndatoWebhookSignal[] = [];
    const sent = new Promise<boolean>((resolve, reject) => {
      setTimeout(() => {
        this.refill(bucket);
        bucket.tokens = Math.max(0, bucket.tokens - 1);
        bucket.trailing = undefined;
        send(mergeSignals(signals)).then(resolve, reject);
      }, waitMs);
    });
    const trailing = { signals, sent };
    bucket.trailing = trailing;
    return trailing;
  }

  private bucketOf(runKey: string): Bucket {
    let bucket = this.buckets.get(runKey);
    if (!bucket) {
      if (this.buckets.size >= SWEEP_ABOVE) this.sweep();
      bucket = { tokens: this.options.burst, refilledAt: this.now() };
      this.buckets.set(runKey, bucket);
    }
    this.refill(bucket);
    return bucket;
  }

  private refill(bucket: Bucket): void {
    const now = this.now();
    const earned = (now - bucket.refilledAt) / this.options.intervalMs;
    bucket.tokens = Math.min(this.options.burst, bucket.tokens + earned);
    bucket.refilledAt = now;
  }

  /** A full bucket with nothing held is the same as no bucket. */
  private sweep(): void {
    for (const [runKey, bucket] of this.buckets) {
      this.refill(bucket);
      if (!bucket.trailing && bucket.tokens >= this.options.burst) this.buckets.delete(runKey);
    }
  }
}

/**
 * One signal standing for several deliveries. A single held delivery goes out as it came; several get a fresh
 * delivery id (the workflow dedupes by id: an id it saw through another replica must not swallow the others).
 */
export function mergeSignals(signals: readonly OndatoWebhookSignal[]): OndatoWebhookSignal {
  const [first] = signals;
  if (signals.length === 1) return first;
  const latest = signals[signals.length - 1];
  const agreed = (pick: (signal: OndatoWebhookSignal) => string | undefined): string | undefined =>
    signals.every((signal) => pick(signal) === pick(first)) ? pick(first) : undefined;
  const idvId = agreed((signal) => signal.idvId);
  const kycId = agreed((signal) => signal.kycId);
  return {
    deliveryId: `merged-${randomUUID()}`,
    type: agreed((signal) => signal.type) ?? latest.type,
    ...(idvId ? { idvId } : {}),
    ...(kycId ? { kycId } : {}),
    ...(latest.createdUtc ? { createdUtc: latest.createdUtc } : {}),
  };
}
