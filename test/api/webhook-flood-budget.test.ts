/**
 * The pieces that stop a webhook flood, on their own (no Temporal): the bounded cache, the delivery ledger
 * (one relay per delivery id, copies in flight share it), the signature guard, and the per-run signal budget
 * (burst, then merged trailing signals whose ids a forged delivery cannot spoil), and how Temporal's resource
 * limits are read.
 */
import { ServiceError } from '@temporalio/client';
import type { OndatoWebhookSignal } from '../../contract';
import { BoundedCache } from '../../api/bounded-cache';
import { mergeSignals, SignalBudget } from '../../api/signal-budget';
import { isSignalLimitReached, isTemporalUnavailable, runSignalLimit } from '../../api/temporal-errors';
import { DeliveryLedger, signatureMac, SignatureReplayGuard } from '../../api/webhook-dedupe';

const signal = (deliveryId: string, ids: Partial<OndatoWebhookSignal> = {}): OndatoWebhookSignal => ({
  deliveryId,
  type: 'IdentityVerification.StatusChanged',
  ...ids,
});

describe('BoundedCache', () => {
  it('forgets the oldest writes beyond its capacity and every entry past its ttl', () => {
    let now = 0;
    const cache = new BoundedCache<string, number>({ capacity: 2, ttlMs: 100, now: () => now });
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([undefined, 2, 3]);
    now = 99;
    expect(cache.has('b')).toBe(true);
    now = 100;
    expect(cache.has('b')).toBe(false);
    expect(cache.size).toBeLessThanOrEqual(2);
  });
});

describe('DeliveryLedger', () => {
  it('relays a delivery id once; copies in flight and later copies get its answer as repeats', async () => {
    const ledger = new DeliveryLedger<string>();
    let relays = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const relay = async () => {
      relays += 1;
      await gate;
      return 'relayed';
    };
    const first = ledger.once('d-1', relay);
    const copy = ledger.once('d-1', relay);
    release();
    expect(await first).toEqual({ result: 'relayed', repeat: false });
    expect(await copy).toEqual({ result: 'relayed', repeat: true });
    expect(await ledger.once('d-1', relay)).toEqual({ result: 'relayed', repeat: true });
    expect(relays).toBe(1);
  });

  it('forgets a relay that failed, so the redelivery tries again', async () => {
    const ledger = new DeliveryLedger<string>();
    await expect(ledger.once('d-2', () => Promise.reject(new Error('503')))).rejects.toThrow('503');
    expect(await ledger.once('d-2', async () => 'relayed')).toEqual({ result: 'relayed', repeat: false });
  });
});

describe('SignatureReplayGuard', () => {
  it('knows a signed request it answered, for twice the tolerance', () => {
    let now = 0;
    const guard = new SignatureReplayGuard(300, () => now);
    const mac = signatureMac(`t=1700000000, s=${'AB'.repeat(32)}`) as string;
    expect(mac).toBe('ab'.repeat(32));
    expect(guard.isReplay(mac)).toBe(false);
    guard.remember(mac);
    now = 599_000;
    expect(guard.isReplay(mac)).toBe(true);
    now = 600_000;
    expect(guard.isReplay(mac)).toBe(false);
    expect(signatureMac('t=1, s=zz')).toBeUndefined();
  });
});

describe('SignalBudget', () => {
  it('sends a burst as it comes, then merges the rest into one signal per interval', async () => {
    const sent: OndatoWebhookSignal[] = [];
    const send = async (merged: OndatoWebhookSignal) => {
      sent.push(merged);
      return true;
    };
    const budget = new SignalBudget({ burst: 3, intervalMs: 200 });
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, index) => budget.submit('run-1', signal(`d-${index}`), send)),
    );
    expect(outcomes.filter((outcome) => outcome === 'sent')).toHaveLength(3);
    expect(outcomes.filter((outcome) => outcome === 'merged')).toHaveLength(17);
    // Three at once, then the seventeen others as one trailing signal.
    expect(sent).toHaveLength(4);
    expect(sent[3].deliveryId).toMatch(/^merged-/);
    // Another run has its own budget.
    expect(await budget.submit('run-2', signal('x'), send)).toBe('sent');
  });

  it('answers every held delivery with the fate of the signal that carried it', async () => {
    const budget = new SignalBudget({ burst: 1, intervalMs: 50 });
    const accepted = async () => true;
    expect(await budget.submit('run', signal('a'), accepted)).toBe('sent');
    const refused = () => Promise.reject(new Error('temporal down'));
    const held = [budget.submit('run', signal('b'), refused), budget.submit('run', signal('c'), refused)];
    await expect(Promise.all(held)).rejects.toThrow('temporal down');
    await expect(held[1]).rejects.toThrow('temporal down');
    const closed = async () => false;
    expect(await budget.submit('run', signal('d'), closed)).toBe('no_run');
  });

  it('merges: a lone held delivery goes out as it came; disagreeing ids are dropped, agreed ones kept', () => {
    const real = signal('real', { idvId: 'idv-1', kycId: 'kyc-1' });
    expect(mergeSignals([real])).toBe(real);
    const forged = signal('forged', { idvId: 'idv-other', kycId: 'kyc-1' });
    const merged = mergeSignals([real, forged]);
    expect(merged).toEqual({
      deliveryId: expect.stringMatching(/^merged-/),
      type: real.type,
      kycId: 'kyc-1',
    });
    expect(merged).not.toHaveProperty('idvId');
  });
});

describe("Temporal's resource limits, as the API reads them", () => {
  const grpc = (code: number, details: string) =>
    new ServiceError('Failed to signal Workflow', {
      cause: Object.assign(new Error(details), { code, details }),
    });

  it('tells the per-run signal cap (INVALID_ARGUMENT, its message) from other refusals', () => {
    // As the dev server answers with history.maximumSignalsPerExecution reached (see webhook-flood.test.ts).
    expect(isSignalLimitReached(grpc(3, 'exceeded workflow execution limit for signal events'))).toBe(true);
    expect(isSignalLimitReached(grpc(3, 'invalid namespace'))).toBe(false);
    expect(runSignalLimit('onboarding-c-1')).toMatchObject({
      status: 503,
      code: 'run_signal_limit',
      headers: { 'Retry-After': '60' },
    });
  });

  it('reads RESOURCE_EXHAUSTED (rate limits, a busy server) as "retry later", like an unreachable Temporal', () => {
    expect(isTemporalUnavailable(grpc(8, 'namespace rate limit exceeded'))).toBe(true);
    expect(isTemporalUnavailable(grpc(3, 'exceeded workflow execution limit for signal events'))).toBe(false);
  });
});
