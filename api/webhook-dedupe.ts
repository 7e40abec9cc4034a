/**
 * Stops repeated webhook deliveries before they become signals. Two per-process, bounded memories:
 *
 * - by Ondato's delivery id (the envelope's `id`): a delivery this process already answered 2xx is answered
 *   again from memory, and copies arriving while the first is still being relayed wait for its answer;
 * - by signature (`Ondato-Signature`'s MAC): an exact signed request seen within the signature's tolerance window
 *   is a replay, recognised before its body is even parsed.
 *
 * Only answers that end Ondato's retries (2xx) are remembered: a refused delivery (503) stays retryable. The
 * workflow keeps its own dedupe, so a copy that slips through (another API replica, an evicted entry) costs one
 * signal, never a wrong outcome.
 */
import { BoundedCache } from './bounded-cache';

/** Sized for a day of Ondato's traffic at thousands of onboardings; each entry holds ids only. */
const DELIVERY_CAPACITY = 20_000;
const DELIVERY_TTL_MS = 60 * 60 * 1000;
const SIGNATURE_CAPACITY = 20_000;

export class DeliveryLedger<R> {
  private readonly answered: BoundedCache<string, R>;
  private readonly inFlight = new Map<string, Promise<R>>();

  constructor(options: { capacity?: number; ttlMs?: number; now?: () => number } = {}) {
    this.answered = new BoundedCache({
      capacity: options.capacity ?? DELIVERY_CAPACITY,
      ttlMs: options.ttlMs ?? DELIVERY_TTL_MS,
      now: options.now,
    });
  }

  /**
   * Runs `relay` once per delivery id. `repeat` is true when the answer is an earlier delivery's (from memory,
   * or shared with a copy still in flight); a `relay` that throws is forgotten, so the next copy tries again.
   */
  async once(deliveryId: string, relay: () => Promise<R>): Promise<{ result: R; repeat: boolean }> {
    const known = this.answered.get(deliveryId);
    if (known !== undefined) return { result: known, repeat: true };
    const pending = this.inFlight.get(deliveryId);
    if (pending) return { result: await pending, repeat: true };

    const running = relay();
    this.inFlight.set(deliveryId, running);
    try {
      const result = await running;
      this.answered.set(deliveryId, result);
      return { result, repeat: false };
    } finally {
      this.inFlight.delete(deliveryId);
    }
  }
}

/** `t=<seconds>, s=<hex>`: the MAC alone identifies the signed request (it covers the timestamp and the body). */
export function signatureMac(header: string | undefined): string | undefined {
  const match = /(?:^|,)\s*s=([0-9a-fA-F]{64})\s*(?:,|$)/.exec(header ?? '');
  return match?.[1].toLowerCase();
}

/**
 * Signed requests already answered 2xx, remembered for as long as their signature could still be accepted
 * (a timestamp may be up to the tolerance in the past or in the future).
 */
export class SignatureReplayGuard {
  private readonly seen: BoundedCache<string, true>;

  constructor(toleranceSeconds: number, now?: () => number) {
    this.seen = new BoundedCache({
      capacity: SIGNATURE_CAPACITY,
      ttlMs: Math.max(1, 2 * toleranceSeconds) * 1000,
      now,
    });
  }

  isReplay(mac: string): boolean {
    return this.seen.has(mac);
  }

  remember(mac: string): void {
    this.seen.set(mac, true);
  }
}
