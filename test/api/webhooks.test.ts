/**
 * `POST /webhooks/ondato` with HMAC signing on, against running onboardings: relay, dedupe, routing by
 * reference and by IDV id, and every refusal (credentials, signature, body).
 */
import request from 'supertest';
import { signWebhookBody } from '../../api/auth';
import type { OnboardingLink, OnboardingStatus } from '../../api/schemas';
import { waitFor } from '../helpers/wait-for';
import {
  basicAuth,
  bearer,
  createApiTestEnv,
  envelope,
  FAST_TIMEOUTS,
  REGISTRATION,
  uniqueCustomerId,
  type ApiTestEnv,
} from './support/api-env';

const HMAC_SECRET = 'webhook-hmac-secret';

describe('Ondato webhook relay', () => {
  let env: ApiTestEnv;

  beforeAll(async () => {
    env = await createApiTestEnv({ env: { WEBHOOK_HMAC_SECRET: HMAC_SECRET } });
  });
  afterAll(async () => {
    await env?.close();
  });

  const nowSeconds = () => Math.floor(Date.now() / 1000);

  /** Posts `body` exactly as Ondato would: Basic auth, and a signature over the raw bytes. */
  const deliver = (
    body: unknown,
    { auth = basicAuth(), signature }: { auth?: string; signature?: string | null } = {},
  ) => {
    const raw = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const call = request(env.app)
      .post('/webhooks/ondato')
      .set('Content-Type', 'application/json')
      .set('Authorization', auth);
    const header = signature === undefined ? signWebhookBody(HMAC_SECRET, raw, nowSeconds()) : signature;
    if (header !== null) call.set('Ondato-Signature', header);
    // As a string: superagent would re-serialise a Buffer as JSON.
    return call.send(raw.toString('utf8'));
  };

  const startOnboarding = async (): Promise<{ customerId: string; link: OnboardingLink }> => {
    const customerId = uniqueCustomerId();
    const response = await request(env.app)
      .post('/v1/onboardings')
      .set('Authorization', bearer())
      .send({ customerId, registration: REGISTRATION, timeouts: FAST_TIMEOUTS });
    expect(response.status).toBe(201);
    return { customerId, link: response.body as OnboardingLink };
  };

  const webhooksReceived = async (customerId: string): Promise<number | undefined> => {
    const response = await request(env.app)
      .get(`/v1/onboardings/${customerId}`)
      .set('Authorization', bearer());
    return (response.body as OnboardingStatus).webhooksReceived;
  };

  it('relays a delivery once Temporal took it, and counts a redelivery once', async () => {
    const { customerId, link } = await startOnboarding();
    const event = envelope('IdentityVerification.StatusChanged', {
      id: link.idvId,
      externalReferenceId: customerId,
      status: 'InProgress',
      registration: { firstName: REGISTRATION.firstName },
    });

    const raw = Buffer.from(JSON.stringify(event));
    const signedAt = nowSeconds();
    const first = await deliver(event, { signature: signWebhookBody(HMAC_SECRET, raw, signedAt) });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ status: 'relayed', workflowId: link.workflowId });
    // Redelivered, signed anew: answered from the API's memory of delivery ids, not signalled again.
    const resigned = signWebhookBody(HMAC_SECRET, raw, signedAt - 1);
    const duplicate = await deliver(event, { signature: resigned });
    expect(duplicate.status).toBe(200);
    expect(duplicate.body).toEqual({ status: 'duplicate', workflowId: link.workflowId });
    // The same signed request again: a replay, recognised by its signature.
    expect((await deliver(event, { signature: resigned })).body).toEqual({ status: 'replayed' });

    // The older `Idv.` name of the same event type is relayed as the new one.
    const alias = await deliver(
      envelope('Idv.StatusChanged', { id: link.idvId, externalReferenceId: customerId }),
    );
    expect(alias.body.status).toBe('relayed');

    await waitFor(async () => ((await webhooksReceived(customerId)) === 2 ? true : undefined), {
      what: 'two distinct deliveries',
    });
    expect(env.logs.text()).not.toContain(REGISTRATION.firstName);
  });

  it('routes a delivery without externalReferenceId by the IDV id, once visibility has the run', async () => {
    const { customerId, link } = await startOnboarding();
    await waitFor(
      async () => {
        const count = await env.client.workflow.count(`OndatoIdvId = '${link.idvId}'`);
        return count.count === 1 ? true : undefined;
      },
      { what: 'the run in visibility' },
    );
    // Shaped like a real KycIdentification.Rejected payload: no externalReferenceId.
    const response = await deliver(
      envelope('KycIdentification.Rejected', {
        id: 'kyc-1',
        identityVerificationId: link.idvId,
        status: 'Rejected',
      }),
    );
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'relayed', workflowId: link.workflowId });
    await waitFor(async () => ((await webhooksReceived(customerId)) === 1 ? true : undefined), {
      what: 'the relayed delivery',
    });
  });

  it('acknowledges deliveries it cannot or need not act on', async () => {
    const stranger = await deliver(
      envelope('IdentityVerification.StatusChanged', {
        id: 'idv-x',
        externalReferenceId: uniqueCustomerId('gone'),
      }),
    );
    expect(stranger.status).toBe(200);
    expect(stranger.body.status).toBe('no_run');

    const ignored = await deliver(envelope('KybIdentification.Approved', { id: 'kyb-1' }));
    expect(ignored.status).toBe(200);
    expect(ignored.body).toEqual({ status: 'ignored' });

    const noIds = await deliver(envelope('KycIdentification.Updated', { id: 'kyc-2' }));
    expect(noIds.body).toEqual({ status: 'unroutable' });

    const oldStray = await deliver(
      envelope(
        'IdentityVerification.StatusChanged',
        { id: 'c0ffee00-0000-4000-8000-000000000000' },
        { createdUtc: '2020-01-01T00:00:00' },
      ),
    );
    expect(oldStray.body).toEqual({ status: 'no_run' });
  });

  it('asks for redelivery (503) when a recent event has no visible run yet', async () => {
    const response = await deliver(
      envelope('IdentityVerification.StatusChanged', { id: 'c0ffee00-0000-4000-8000-000000000001' }),
    );
    expect(response.status).toBe(503);
    expect(response.body.error.code).toBe('run_not_visible_yet');
    expect(response.headers['retry-after']).toBe('10');
  });

  it('refuses bad credentials and bad signatures with 401', async () => {
    const event = envelope('IdentityVerification.StatusChanged', { id: 'idv-1', externalReferenceId: 'c-1' });
    const raw = Buffer.from(JSON.stringify(event));

    const noAuth = await request(env.app)
      .post('/webhooks/ondato')
      .set('Content-Type', 'application/json')
      .send(raw);
    expect(noAuth.status).toBe(401);
    expect(noAuth.headers['www-authenticate']).toMatch(/^Basic /);
    expect(noAuth.body.error.code).toBe('unauthorized');

    expect((await deliver(event, { auth: basicAuth('ondato-hooks', 'wrong') })).status).toBe(401);
    expect((await deliver(event, { auth: basicAuth('someone', 'hook-password') })).status).toBe(401);
    expect((await deliver(event, { auth: bearer() })).status).toBe(401);

    const cases: Array<[string | null, string]> = [
      [null, 'missing'],
      ['t=1, s=zz', 'malformed'],
      [signWebhookBody('another-secret', raw, nowSeconds()), 'mismatch'],
      [signWebhookBody(HMAC_SECRET, raw, nowSeconds() - 3600), 'stale'],
      // Signed over other bytes: the HMAC covers the raw body, not its parsed meaning.
      [signWebhookBody(HMAC_SECRET, Buffer.from(JSON.stringify(event, null, 2)), nowSeconds()), 'mismatch'],
    ];
    for (const [signature, reason] of cases) {
      const response = await deliver(event, { signature });
      expect({ reason, status: response.status, code: response.body.error?.code }).toEqual({
        reason,
        status: 401,
        code: 'unauthorized',
      });
      expect(response.body.error.message).toContain(reason);
    }
  });

  it('refuses bodies that are not JSON or not an envelope with 400', async () => {
    const malformed = await deliver('{"id": ');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('malformed_json');

    const invalid = await deliver({ id: 'x', type: 'IdentityVerification.StatusChanged' });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.code).toBe('validation_failed');
    expect(invalid.body.error.details).toEqual(
      expect.arrayContaining([
        { path: 'createdUtc', message: expect.any(String) },
        { path: 'payload', message: expect.any(String) },
      ]),
    );

    const tooLarge = await deliver({ ...envelope('Form.Submitted', {}), padding: 'x'.repeat(200_000) });
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body.error.code).toBe('payload_too_large');
  });

  it('counts webhook outcomes in /metrics', async () => {
    const metrics = await request(env.app).get('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toMatch(/onboarding_api_webhooks_total\{outcome="relayed"\} \d+/);
    expect(metrics.text).toMatch(/onboarding_api_webhooks_total\{outcome="unauthorized"\} \d+/);
    expect(metrics.text).toMatch(/onboarding_api_webhooks_total\{outcome="ignored"\} \d+/);
  });
});
