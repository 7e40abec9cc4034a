/** The OAuth2 token cache: against the simulator (refresh, 401 handling) and alone (single flight, aborts). */
import { randomUUID } from 'node:crypto';
import { OndatoError } from '../../ondato/errors';
import { TokenCache, type IssuedToken } from '../../ondato/token-cache';
import { caught, createRequest, startTestSimulator, type TestSimulator } from '../simulator/support';

describe('token handling against the simulator', () => {
  let sim: TestSimulator;

  beforeAll(async () => {
    sim = await startTestSimulator();
  });
  afterEach(() => sim.control.clearFaults());
  afterAll(() => sim.close());

  async function tokenRequests(): Promise<number> {
    return (await sim.control.stats()).tokenRequests;
  }

  it('reuses one token for many calls', async () => {
    const client = sim.client();
    const before = await tokenRequests();
    const { id } = await client.createIdentityVerification(createRequest());
    for (let i = 0; i < 5; i++) await client.getIdentityVerification(id);
    expect((await tokenRequests()) - before).toBe(1);
  });

  it('50 concurrent calls after the tokens expired cost exactly one token request', async () => {
    const client = sim.client();
    const { id } = await client.createIdentityVerification(createRequest());
    await sim.control.expireTokens();
    const before = await sim.control.stats();

    const results = await Promise.all(Array.from({ length: 50 }, () => client.getIdentityVerification(id)));

    expect(results.every((idv) => idv.id === id)).toBe(true);
    const after = await sim.control.stats();
    expect(after.tokenRequests - before.tokenRequests).toBe(1);
    // Each call was answered 401 once, then retried with the one fresh token.
    expect(after.requests.getIdv - before.requests.getIdv).toBe(100);
  });

  it('a 401 fetches a fresh token once and the call succeeds', async () => {
    const client = sim.client();
    const { id } = await client.createIdentityVerification(createRequest());
    await sim.control.expireTokens();
    const before = await tokenRequests();
    await expect(client.getIdentityVerification(id)).resolves.toMatchObject({ id });
    expect((await tokenRequests()) - before).toBe(1);
  });

  it('a 401 that survives the refresh is a non-retryable error', async () => {
    const client = sim.client();
    const { id } = await client.createIdentityVerification(createRequest());
    await sim.control.setFault({ route: 'getIdv', mode: 'status', status: 401, times: 2 });
    const before = await tokenRequests();
    const error = await caught(client.getIdentityVerification(id));
    expect(error).toBeInstanceOf(OndatoError);
    expect(error).toMatchObject({ kind: 'http', status: 401, retryable: false });
    expect((await tokenRequests()) - before).toBe(1);
  });

  it('refreshes before expires_in runs out, without waiting for a 401', async () => {
    const shortLived = await startTestSimulator({ tokenLifetimeSeconds: 0.4 });
    try {
      const client = shortLived.client();
      const { id } = await client.createIdentityVerification(createRequest());
      // Half the 400 ms lifetime is the cap on the early-refresh margin: stale after 200 ms.
      await new Promise((resolve) => setTimeout(resolve, 250));
      await client.getIdentityVerification(id);
      const stats = await shortLived.control.stats();
      expect(stats.tokenRequests).toBe(2);
      expect(stats.requests.getIdv).toBe(1); // no 401 round trip was needed
    } finally {
      await shortLived.close();
    }
  });

  it('a token server outage is retryable and the next call tries again', async () => {
    const client = sim.client();
    await sim.control.setFault({ route: 'token', mode: 'status', status: 503, times: 1 });
    const error = await caught(client.getIdentityVerification(randomUUID()));
    expect(error).toMatchObject({ kind: 'http', operation: 'token', status: 503, retryable: true });
    const { id } = await client.createIdentityVerification(createRequest());
    expect(id).toBeTruthy();
  });

  it('a token response without access_token is malformed', async () => {
    const client = sim.client();
    await sim.control.setFault({ route: 'token', mode: 'malformed', times: 1 });
    const error = await caught(client.getIdentityVerification(randomUUID()));
    expect(error).toMatchObject({ kind: 'malformed_response', operation: 'token', field: 'access_token' });
  });
});

describe('TokenCache alone', () => {
  function deferred<T>(): { promise: Promise<T>; resolve(value: T): void; reject(error: unknown): void } {
    let resolve!: (value: T) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  }

  it('shares one refresh among concurrent callers and caches the result', async () => {
    const pending = deferred<IssuedToken>();
    const fetchToken = jest.fn(() => pending.promise);
    const cache = new TokenCache({ fetchToken });
    const waiting = Promise.all(Array.from({ length: 10 }, () => cache.get()));
    pending.resolve({ accessToken: 'token-1', expiresInMs: 3_600_000 });
    expect(await waiting).toEqual(Array(10).fill('token-1'));
    expect(await cache.get()).toBe('token-1');
    expect(fetchToken).toHaveBeenCalledTimes(1);
  });

  it('refreshes once the margin before expiry is reached', async () => {
    let now = 0;
    let issued = 0;
    const cache = new TokenCache({
      fetchToken: async () => ({ accessToken: `token-${++issued}`, expiresInMs: 100_000 }),
      refreshMarginMs: 10_000,
      now: () => now,
    });
    expect(await cache.get()).toBe('token-1');
    now = 89_999;
    expect(await cache.get()).toBe('token-1');
    now = 90_000;
    expect(await cache.get()).toBe('token-2');
  });

  it('invalidates only the token that was rejected', async () => {
    let issued = 0;
    const cache = new TokenCache({
      fetchToken: async () => ({ accessToken: `token-${++issued}`, expiresInMs: 60_000 }),
    });
    const first = await cache.get();
    cache.invalidate(first);
    const second = await cache.get();
    cache.invalidate(first); // a late 401 for the old token must not throw away the new one
    expect(await cache.get()).toBe(second);
    expect(issued).toBe(2);
  });

  it("one caller's abort does not cancel the refresh the others wait for", async () => {
    const pending = deferred<IssuedToken>();
    const cache = new TokenCache({ fetchToken: () => pending.promise });
    const controller = new AbortController();
    const impatient = cache.get(controller.signal);
    const patient = cache.get();
    controller.abort();
    await expect(impatient).rejects.toMatchObject({ kind: 'aborted' });
    pending.resolve({ accessToken: 'token-1', expiresInMs: 60_000 });
    await expect(patient).resolves.toBe('token-1');
  });

  it('a failed refresh reaches every waiter and the next get tries again', async () => {
    const failure = new Error('token server down');
    const fetchToken = jest
      .fn<Promise<IssuedToken>, []>()
      .mockRejectedValueOnce(failure)
      .mockResolvedValueOnce({ accessToken: 'token-2', expiresInMs: 60_000 });
    const cache = new TokenCache({ fetchToken });
    const results = await Promise.allSettled([cache.get(), cache.get()]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    expect(await cache.get()).toBe('token-2');
    expect(fetchToken).toHaveBeenCalledTimes(2);
  });
});
