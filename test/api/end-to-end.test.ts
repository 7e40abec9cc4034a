/**
 * The whole path over HTTP: the product backend starts an onboarding, the customer finishes in the Ondato
 * simulator, the simulator's signed webhooks reach a listening instance of the API, the run decides, and the
 * product backend receives a signed callback. Polling is slowed right down, so only webhooks can move the run.
 */
import request from 'supertest';
import type { OnboardingLink, OnboardingStatus } from '../../api/schemas';
import { waitFor } from '../helpers/wait-for';
import {
  bearer,
  createApiTestEnv,
  OPS_KEY,
  REGISTRATION,
  uniqueCustomerId,
  type ApiTestEnv,
} from './support/api-env';

const WEBHOOK_DRIVEN_TIMEOUTS = {
  customerDeadlineMs: 120_000,
  ondatoReviewDeadlineMs: 120_000,
  manualReviewEscalationMs: 120_000,
  pollIntervalMs: 120_000,
};

describe('end to end over HTTP', () => {
  let env: ApiTestEnv;

  beforeAll(async () => {
    env = await createApiTestEnv({ env: { WEBHOOK_HMAC_SECRET: 'e2e-hmac-secret' } });
  });
  afterAll(async () => {
    await env?.close();
  });

  const startOnboarding = async (customerId: string): Promise<OnboardingLink> => {
    const response = await request(env.app).post('/v1/onboardings').set('Authorization', bearer()).send({
      customerId,
      registration: REGISTRATION,
      callbackUrl: env.callbacks.url,
      timeouts: WEBHOOK_DRIVEN_TIMEOUTS,
    });
    expect(response.status).toBe(201);
    return response.body as OnboardingLink;
  };

  const completedState = (customerId: string) =>
    waitFor(
      async () => {
        const response = await request(env.app)
          .get(`/v1/onboardings/${customerId}`)
          .set('Authorization', bearer());
        const status = response.body as OnboardingStatus;
        return status.status === 'COMPLETED' ? status : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 200, what: 'the onboarding to complete' },
    );

  it('approves a customer who finished the flow, and tells the product backend', async () => {
    const customerId = uniqueCustomerId('e2e');
    const link = await startOnboarding(customerId);
    expect(link.customerUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/idv\/?\?id=/);

    await env.control.complete(link.idvId as string, { outcome: 'approved' });

    const state = await completedState(customerId);
    expect(state).toMatchObject({
      stage: 'completed',
      outcome: 'approved',
      reasons: ['ondato_approved'],
      idvId: link.idvId,
    });
    expect(state.kycId).toEqual(expect.any(String));
    expect(state.documents.length).toBeGreaterThan(0);
    expect(state.webhooksReceived).toBeGreaterThan(0);

    const callback = await waitFor(async () => env.callbacks.forCustomer(customerId)[0], {
      what: 'the callback',
    });
    expect(callback.signatureValid).toBe(true);
    expect(callback.event).toMatchObject({
      type: 'onboarding.completed',
      customerId,
      workflowId: link.workflowId,
      outcome: 'approved',
      idvId: link.idvId,
      kycId: state.kycId,
    });

    // The simulator's deliveries for this verification were all taken by the API: signed, authenticated, 200.
    const deliveries = await waitFor(
      async () => {
        const log = await env.control.webhookLog();
        const ours = log.deliveries.filter((delivery) => delivery.idvId === link.idvId);
        return ours.length > 0 && ours.every((delivery) => delivery.state === 'delivered') ? ours : undefined;
      },
      { what: 'the webhook deliveries' },
    );
    expect(deliveries.map((delivery) => delivery.lastStatus)).toEqual(deliveries.map(() => 200));
    const metrics = await request(env.app).get('/metrics');
    expect(metrics.text).toMatch(/onboarding_api_webhooks_total\{outcome="relayed"\} [1-9]/);
    expect(metrics.text).not.toMatch(/onboarding_api_webhooks_total\{outcome="unauthorized"\}/);
  });

  it('lets a rejected customer try again through /retry', async () => {
    const customerId = uniqueCustomerId('e2e');
    const first = await startOnboarding(customerId);
    await env.control.complete(first.idvId as string, {
      outcome: 'rejected',
      statusReason: 'PoorPhotoQuality',
    });
    const state = await completedState(customerId);
    expect(state).toMatchObject({ outcome: 'rejected', reasons: ['ondato_rejected:PoorPhotoQuality'] });

    const retried = await request(env.app)
      .post(`/v1/onboardings/${customerId}/retry`)
      .set('Authorization', bearer(OPS_KEY))
      .send({
        registration: REGISTRATION,
        callbackUrl: env.callbacks.url,
        timeouts: WEBHOOK_DRIVEN_TIMEOUTS,
      });
    expect(retried.status).toBe(201);
    expect(retried.body).toMatchObject({
      workflowId: first.workflowId,
      created: true,
      stage: 'awaiting_customer',
    });
    expect(retried.body.idvId).not.toBe(first.idvId);
  });
});
