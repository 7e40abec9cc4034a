/**
 * The ledger of idempotency keys over a shared record store (storage/record-store.ts): the first request with
 * a key claims it, runs, and leaves its answer; later ones with the same key get that answer back, a refusal
 * when they ask for something else, or "still running" while the first has not answered.
 *
 * A claim is a lease: a replica that dies mid-request leaves a claim that others take over once the lease ran
 * out. Records live for the TTL from the first request, are dropped when found expired, and are swept by age
 * now and then (at most once per sweep interval per process, in the background of a claim).
 */
import type { Logger } from 'pino';
import { z } from 'zod';
import { DocumentDecryptionError } from '../../codec/document-cipher';
import { UnknownEncryptionKeyError } from '../../codec/keys';
import type { RecordStore } from '../../storage/record-store';

const storedAnswerSchema = z.object({
  status: z.number().int().min(200).max(499),
  /** Only the headers that matter to a caller (content type, location). */
  headers: z.record(z.string(), z.string()),
  /** The body, byte for byte. */
  body: z.base64(),
});
export type StoredAnswer = z.infer<typeof storedAnswerSchema>;

const claimFields = {
  fingerprint: z.string().regex(/^[a-f0-9]{64}$/),
  claimedAt: z.number(),
  /** The first request's time plus the TTL: a replay after it runs the request again. */
  expiresAt: z.number(),
};
const recordSchema = z.discriminatedUnion('state', [
  z.object({ state: z.literal('in_flight'), ...claimFields, leaseUntil: z.number() }),
  z.object({ state: z.literal('answered'), ...claimFields, answer: storedAnswerSchema }),
]);
type LedgerRecord = z.infer<typeof recordSchema>;

export type ClaimResult =
  | { kind: 'claimed'; claim: Claim }
  | { kind: 'replay'; answer: StoredAnswer }
  | { kind: 'reused' }
  | { kind: 'in_flight'; retryAfterSeconds: number };

/** What a claimant needs to settle its claim. */
export interface Claim {
  name: string;
  fingerprint: string;
  claimedAt: number;
  expiresAt: number;
}

export interface LedgerOptions {
  ttlMs: number;
  /** How long a claim holds before another request may take it over: longer than any handler runs. */
  leaseMs: number;
  now?: () => number;
  logger: Logger;
}

/** A claim that keeps changing under us (removed, re-created) this many times: give up, answer 503. */
const CLAIM_ATTEMPTS = 4;
const MAX_SWEEP_INTERVAL_MS = 60 * 60_000;

export class IdempotencyLedger {
  private readonly now: () => number;
  private lastSweep = 0;

  constructor(
    private readonly store: RecordStore,
    private readonly options: LedgerOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  get logger(): Logger {
    return this.options.logger;
  }

  async claim(name: string, fingerprint: string): Promise<ClaimResult> {
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
      const now = this.now();
      const claim: Claim = { name, fingerprint, claimedAt: now, expiresAt: now + this.options.ttlMs };
      const record: LedgerRecord = {
        state: 'in_flight',
        fingerprint,
        claimedAt: claim.claimedAt,
        expiresAt: claim.expiresAt,
        leaseUntil: now + this.options.leaseMs,
      };
      if (await this.store.create(name, encode(record))) {
        this.sweepNowAndThen(now);
        return { kind: 'claimed', claim };
      }
      const existing = await this.read(name);
      if (!existing) continue;
      if (isExpired(existing, now)) {
        await this.store.remove(name);
        continue;
      }
      if (existing.fingerprint !== fingerprint) return { kind: 'reused' };
      if (existing.state === 'answered') return { kind: 'replay', answer: existing.answer };
      return { kind: 'in_flight', retryAfterSeconds: 1 };
    }
    throw new Error(`idempotency record ${name} kept changing during ${CLAIM_ATTEMPTS} claims`);
  }

  /**
   * Keeps the final answer for replays (until the claim's expiry), or gives the key back without one. Never
   * throws: the answer goes out either way; a key whose answer could not be kept is given back, so a retry
   * runs again (the routes are safe to repeat) instead of waiting out the lease.
   */
  async settle(claim: Claim, answer: StoredAnswer | undefined): Promise<void> {
    try {
      if (answer) await this.answer(claim, answer);
      else await this.release(claim);
    } catch (error) {
      this.options.logger.warn(
        { record: claim.name, err: { name: (error as Error)?.name, message: (error as Error)?.message } },
        'idempotency record not settled',
      );
      if (answer) await this.release(claim).catch(() => undefined);
    }
  }

  private async answer(claim: Claim, answer: StoredAnswer): Promise<void> {
    const record: LedgerRecord = {
      state: 'answered',
      fingerprint: claim.fingerprint,
      claimedAt: claim.claimedAt,
      expiresAt: claim.expiresAt,
      answer,
    };
    await this.store.replace(claim.name, encode(record));
  }

  private async release(claim: Claim): Promise<void> {
    await this.store.remove(claim.name);
  }

  /** A record that does not open (altered, or sealed with a key since removed) counts as none. */
  private async read(name: string): Promise<LedgerRecord | undefined> {
    let plain: Buffer | undefined;
    try {
      plain = await this.store.read(name);
    } catch (error) {
      if (!(error instanceof DocumentDecryptionError || error instanceof UnknownEncryptionKeyError))
        throw error;
      this.options.logger.warn(
        { record: name, err: { name: (error as Error).name } },
        'idempotency record unreadable; dropped',
      );
      await this.store.remove(name);
      return undefined;
    }
    if (!plain) return undefined;
    const parsed = recordSchema.safeParse(JSON.parse(plain.toString('utf8')));
    if (parsed.success) return parsed.data;
    this.options.logger.warn({ record: name }, 'idempotency record of an unknown shape; dropped');
    await this.store.remove(name);
    return undefined;
  }

  private sweepNowAndThen(now: number): void {
    const interval = Math.min(this.options.ttlMs, MAX_SWEEP_INTERVAL_MS);
    if (now - this.lastSweep < interval) return;
    this.lastSweep = now;
    // Written before TTL + lease ago: answered past its expiry, or a claim whose lease ran out.
    const cutoff = new Date(now - this.options.ttlMs - this.options.leaseMs);
    this.store.removeWrittenBefore(cutoff).then(
      (removed) => {
        if (removed > 0) this.options.logger.info({ removed }, 'idempotency records swept');
      },
      (error: unknown) =>
        this.options.logger.warn(
          { err: { name: (error as Error)?.name, message: (error as Error)?.message } },
          'idempotency sweep failed',
        ),
    );
  }
}

function encode(record: LedgerRecord): Buffer {
  return Buffer.from(JSON.stringify(record), 'utf8');
}

function isExpired(record: LedgerRecord, now: number): boolean {
  return record.state === 'in_flight' ? now >= record.leaseUntil : now >= record.expiresAt;
}
