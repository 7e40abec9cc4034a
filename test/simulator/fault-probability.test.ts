/**
 * Probabilistic fault rules (`probability`): a rule affects a random share of the matching requests, a spared
 * request falls through to the next rule, `times` counts affected requests only, and rules without a
 * probability behave as before. The injector is driven with a scripted random source; the control API and a
 * real client check the option end to end with the real one.
 */
import { FaultInjector, type RandomSource } from '../../simulator/faults';
import { faultRequestSchema } from '../../simulator/control-schemas';
import { createRequest, startTestSimulator, type TestSimulator } from './support';

/** Returns the given draws in order, then fails loudly (a test that draws more than it scripted is wrong). */
function scripted(draws: number[]): RandomSource {
  let next = 0;
  return () => {
    if (next >= draws.length) throw new Error(`drew more than the ${draws.length} scripted numbers`);
    return draws[next++];
  };
}

/** A seeded generator (mulberry32) for statistical checks that must not flake. */
function seeded(seed: number): RandomSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const quiet = (): void => undefined;

describe('fault rules with a probability', () => {
  it('affects a request when the draw is below the probability, spares it otherwise', () => {
    const faults = new FaultInjector(quiet, scripted([0.1, 0.5, 0.29, 0.3]));
    faults.add({ route: 'getKyc', mode: 'status', status: 503, probability: 0.3 });
    expect(faults.take('getKyc')?.status).toBe(503);
    expect(faults.take('getKyc')).toBeUndefined();
    expect(faults.take('getKyc')?.status).toBe(503);
    // The boundary is exclusive: a draw equal to the probability spares the request.
    expect(faults.take('getKyc')).toBeUndefined();
    expect(faults.list()).toEqual([expect.objectContaining({ hits: 2, seen: 4, remaining: null })]);
  });

  it('draws nothing for other routes', () => {
    const faults = new FaultInjector(quiet, scripted([]));
    faults.add({ route: 'getKyc', mode: 'drop', probability: 0.5 });
    expect(faults.take('getIdv')).toBeUndefined();
    expect(faults.take('token')).toBeUndefined();
    expect(faults.list()[0]).toMatchObject({ hits: 0, seen: 0 });
  });

  it('lets a spared request fall through to the next rule, in the order the rules were added', () => {
    const faults = new FaultInjector(quiet, scripted([0.9, 0.01, 0.9, 0.9, 0.01]));
    faults.add({ route: '*', mode: 'retryAfter', retryAfterSeconds: 2, probability: 0.05 });
    faults.add({ route: 'getIdv', mode: 'status', status: 500, probability: 0.05 });
    // First request: rule 1 spares it (0.9), rule 2 takes it (0.01).
    expect(faults.take('getIdv')).toMatchObject({ mode: 'status', status: 500 });
    // Second request: both spare it.
    expect(faults.take('getIdv')).toBeUndefined();
    // Third request: rule 1 takes it (0.01); rule 2 is not drawn for.
    expect(faults.take('getIdv')).toMatchObject({ mode: 'retryAfter' });
    expect(faults.list().map(({ hits, seen }) => ({ hits, seen }))).toEqual([
      { hits: 1, seen: 3 },
      { hits: 1, seen: 2 },
    ]);
  });

  it('counts only affected requests against `times`, and a used-up rule is no longer drawn for', () => {
    const faults = new FaultInjector(quiet, scripted([0.9, 0.1, 0.9, 0.1]));
    faults.add({ route: 'token', mode: 'latency', latencyMs: 5_000, times: 2, probability: 0.5 });
    expect(faults.take('token')).toBeUndefined();
    expect(faults.take('token')).toMatchObject({ mode: 'latency', remaining: 1 });
    expect(faults.take('token')).toBeUndefined();
    expect(faults.take('token')).toMatchObject({ remaining: 0 });
    // Used up: no draw (the scripted source would throw), the request passes.
    expect(faults.take('token')).toBeUndefined();
    expect(faults.list()[0]).toMatchObject({ hits: 2, seen: 4, remaining: 0 });
  });

  it('keeps the old behaviour without a probability: every matching request, no draw', () => {
    const faults = new FaultInjector(quiet, scripted([]));
    faults.add({ route: 'getIdv', mode: 'status', status: 502, times: 2 });
    expect(faults.take('getIdv')?.status).toBe(502);
    expect(faults.take('getIdv')?.status).toBe(502);
    expect(faults.take('getIdv')).toBeUndefined();
    expect(faults.list()[0]).toMatchObject({ hits: 2, seen: 2, remaining: 0 });
  });

  it('affects about the given share of many requests', () => {
    const faults = new FaultInjector(quiet, seeded(42));
    faults.add({ route: 'getKyc', mode: 'status', probability: 0.2 });
    let affected = 0;
    for (let i = 0; i < 10_000; i += 1) if (faults.take('getKyc')) affected += 1;
    expect(affected / 10_000).toBeGreaterThan(0.18);
    expect(affected / 10_000).toBeLessThan(0.22);
  });

  it('adds several rules up to about the combined share', () => {
    const faults = new FaultInjector(quiet, seeded(7));
    for (const mode of ['status', 'retryAfter', 'drop', 'malformed'] as const) {
      faults.add({ route: '*', mode, probability: 0.055 });
    }
    let affected = 0;
    for (let i = 0; i < 20_000; i += 1) if (faults.take('getIdv')) affected += 1;
    // 1 − 0.945⁴ ≈ 0.2025
    expect(affected / 20_000).toBeGreaterThan(0.185);
    expect(affected / 20_000).toBeLessThan(0.22);
  });

  it('accepts probabilities in (0, 1] only', () => {
    const base = { route: 'getKyc', mode: 'status' } as const;
    expect(faultRequestSchema.safeParse({ ...base, probability: 0.2 }).success).toBe(true);
    expect(faultRequestSchema.safeParse({ ...base, probability: 1 }).success).toBe(true);
    expect(faultRequestSchema.safeParse(base).success).toBe(true);
    for (const probability of [0, -0.1, 1.5, '0.2', Number.NaN]) {
      expect({ probability, ok: faultRequestSchema.safeParse({ ...base, probability }).success }).toEqual({
        probability,
        ok: false,
      });
    }
  });
});

describe('probabilistic faults through the control API', () => {
  let sim: TestSimulator;

  beforeAll(async () => {
    sim = await startTestSimulator();
  });
  afterAll(async () => {
    await sim?.close();
  });
  afterEach(async () => {
    await sim.control.clearFaults();
  });

  it('lists the rule with its probability and counts what it saw and hit', async () => {
    const client = sim.client();
    const { id } = await client.createIdentityVerification(createRequest());
    const rule = await sim.control.setFault({
      route: 'getIdv',
      mode: 'status',
      status: 500,
      probability: 0.5,
    });
    expect(rule).toMatchObject({ probability: 0.5, hits: 0, seen: 0, remaining: null });

    let failed = 0;
    const calls = 200;
    for (let i = 0; i < calls; i += 1) {
      try {
        await client.getIdentityVerification(id);
      } catch (error) {
        expect(error).toMatchObject({ status: 500 });
        failed += 1;
      }
    }
    const [listed] = await sim.control.faults();
    expect(listed).toMatchObject({ probability: 0.5, seen: calls, hits: failed });
    // 200 draws at 0.5: outside 60–140 has a chance of about 1e-8.
    expect(failed).toBeGreaterThan(60);
    expect(failed).toBeLessThan(140);
  });

  it('refuses a probability out of range with 400', async () => {
    await expect(
      sim.control.setFault({ route: 'getIdv', mode: 'drop', probability: 2 }),
    ).rejects.toMatchObject({ status: 400 });
    expect(await sim.control.faults()).toEqual([]);
  });
});
