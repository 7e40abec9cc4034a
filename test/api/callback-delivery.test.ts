/**
 * A callback URL that passes the allow-list by name but resolves to a loopback address (the SSRF of issue 18:
 * `localhost`, or a DNS name an attacker points at an internal address) is refused by the worker when it
 * delivers: a real run completes, the backend's decision stands, nothing reaches the loopback listener, and the
 * run says why its callback failed instead of counting it as delivered.
 */
import request from 'supertest';
import { startCallbackReceiver, type CallbackReceiver } from '../helpers/callback-receiver';
import { waitFor } from '../helpers/wait-for';
import {
  bearer,
  CALLBACK_SECRET,
  createApiTestEnv,
  FAST_TIMEOUTS,
  REGISTRATION,
  uniqueCustomerId,
  type ApiTestEnv,
} from './support/api-env';

describe('a callback to a name that resolves to loopback', () => {
  let env: ApiTestEnv;
  let internal: CallbackReceiver;

  beforeAll(async () => {
    internal = await startCallbackReceiver(CALLBACK_SECRET);
    const port = new URL(internal.url).port;
    env = await createApiTestEnv({
      env: { CALLBACK_ALLOWED_URLS: `localhost:${port}`, CALLBACK_ALLOW_PRIVATE_TARGETS: 'false' },
    });
  });
  afterAll(async () => {
    await env?.close();
    await internal?.close();
  });

  it('is not delivered, and the run says so', async () => {
    const customerId = uniqueCustomerId('ssrf');
    const callbackUrl = internal.url.replace('127.0.0.1', 'localhost');
    const started = await request(env.app)
      .post('/v1/onboardings')
      .set('Authorization', bearer())
      .send({ customerId, registration: REGISTRATION, callbackUrl, timeouts: FAST_TIMEOUTS });
    // Allowed at start: the allow-list names the host, and a name has no address until it is resolved.
    expect(started.status).toBe(201);
    await env.control.complete(started.body.idvId as string, { outcome: 'approved' });

    const state = await waitFor(
      async () => {
        const response = await request(env.app)
          .get(`/v1/onboardings/${customerId}`)
          .set('Authorization', bearer());
        return response.body.status === 'COMPLETED' ? response.body : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: 'the run to complete' },
    );
    expect(state).toMatchObject({ outcome: 'approved' });
    expect(state.timestamps.notifiedAt).toBeUndefined();
    expect(state.lastError).toMatch(/callback failed/);
    expect(internal.received).toEqual([]);

    const history = await env.client.workflow.getHandle(started.body.workflowId as string).fetchHistory();
    const failures = (history.events ?? [])
      .map((event) => event.activityTaskFailedEventAttributes?.failure)
      .filter((failure) => failure !== undefined && failure !== null);
    expect(failures).toHaveLength(1);
    expect(failures[0]?.applicationFailureInfo).toMatchObject({
      type: 'CallbackTargetRefused',
      nonRetryable: true,
    });
  });
});
