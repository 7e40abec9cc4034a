/**
 * The onboarding routes against a real Temporal dev server, a real worker and the Ondato simulator: start
 * and join, state, review, cancel, retry, and how each refuses what it must refuse.
 */
import request from 'supertest';
import type { OnboardingLink, OnboardingStatus } from '../../api/schemas';
import { waitFor } from '../helpers/wait-for';
import {
  bearer,
  createApiTestEnv,
  FAST_TIMEOUTS,
  OPS_IDENTITY,
  OPS_KEY,
  REGISTRATION,
  uniqueCustomerId,
  type ApiTestEnv,
} from './support/api-env';

describe('onboarding routes', () => {
  let env: ApiTestEnv;

  beforeAll(async () => {
    env = await createApiTestEnv();
  });
  afterAll(async () => {
    await env?.close();
  });

  const start = (customerId: string, extra: Record<string, unknown> = {}) =>
    request(env.app)
      .post('/v1/onboardings')
      .set('Authorization', bearer())
      .send({ customerId, registration: REGISTRATION, timeouts: FAST_TIMEOUTS, ...extra });

  const getStatus = (customerId: string) =>
    request(env.app).get(`/v1/onboardings/${customerId}`).set('Authorization', bearer());

  const post = (customerId: string, action: 'review' | 'cancel' | 'retry', body: unknown) =>
    request(env.app)
      .post(`/v1/onboardings/${customerId}/${action}`)
      .set('Authorization', bearer(OPS_KEY))
      .send(body as object);

  /** Polls the state until `accept` holds; returns the last state. */
  const waitForStatus = (customerId: string, accept: (status: OnboardingStatus) => boolean, what: string) =>
    waitFor(
      async () => {
        const response = await getStatus(customerId);
        const status = response.body as OnboardingStatus;
        return response.status === 200 && accept(status) ? status : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 200, what },
    );

  it('starts with 201, joins with 200 and the same run and URL', async () => {
    const customerId = uniqueCustomerId();
    const first = await start(customerId);
    expect(first.status).toBe(201);
    expect(first.headers.location).toBe(`/v1/onboardings/${customerId}`);
    const link = first.body as OnboardingLink;
    expect(link).toMatchObject({
      workflowId: `onboarding-${customerId}`,
      created: true,
      stage: 'awaiting_customer',
    });
    expect(link.customerUrl).toContain(link.idvId);
    expect(link.runId).toEqual(expect.any(String));

    const second = await start(customerId);
    expect(second.status).toBe(200);
    expect(second.body).toEqual({ ...link, created: false });

    const state = await getStatus(customerId);
    expect(state.status).toBe(200);
    expect(state.body).toMatchObject({
      customerId,
      workflowId: link.workflowId,
      runId: link.runId,
      status: 'RUNNING',
      stage: 'awaiting_customer',
      idvId: link.idvId,
      customerUrl: link.customerUrl,
      webhooksReceived: 0,
    });
  });

  it('turns a manual review into a decision through /review, then refuses what no longer applies', async () => {
    const customerId = uniqueCustomerId();
    const link = (await start(customerId)).body as OnboardingLink;

    const early = await post(customerId, 'review', { reviewerId: 'ops-7', decision: 'approved' });
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe('no_review_pending');

    await env.control.complete(link.idvId as string, {
      outcome: 'approved',
      rules: [{ name: 'SelfieAndDocumentFacesMatch', status: 'Fail' }],
    });
    const inReview = await waitForStatus(customerId, (s) => s.stage === 'manual_review', 'manual review');
    expect(inReview.reasons).toContain('rule_failed:SelfieAndDocumentFacesMatch');

    const invalid = await post(customerId, 'review', { reviewerId: 'ops-7', decision: 'maybe' });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.code).toBe('validation_failed');
    expect(invalid.body.error.details).toEqual([{ path: 'decision', message: expect.any(String) }]);

    const reviewed = await post(customerId, 'review', {
      reviewerId: 'ops-7',
      decision: 'approved',
      note: 'selfie ok',
    });
    expect(reviewed.status).toBe(200);
    expect(reviewed.body).toMatchObject({
      customerId,
      outcome: 'approved',
      // The ops key's identity, not the reviewerId the body claims.
      review: { reviewerId: OPS_IDENTITY, decision: 'approved', note: 'selfie ok' },
    });

    const done = await waitForStatus(customerId, (s) => s.status === 'COMPLETED', 'completion');
    expect(done).toMatchObject({ stage: 'completed', outcome: 'approved' });

    const again = await post(customerId, 'review', { reviewerId: 'ops-8', decision: 'rejected' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('no_review_pending');

    const cancel = await post(customerId, 'cancel', { requestedBy: 'backend' });
    expect(cancel.status).toBe(409);
    expect(cancel.body.error.code).toBe('already_decided');

    const retry = await post(customerId, 'retry', { registration: REGISTRATION });
    expect(retry.status).toBe(409);
    expect(retry.body.error.code).toBe('onboarding_approved');

    const restart = await start(customerId);
    expect(restart.status).toBe(409);
    expect(restart.body.error).toMatchObject({
      code: 'onboarding_completed',
      details: {
        workflowId: link.workflowId,
        runId: link.runId,
        outcome: 'approved',
        retry: `/v1/onboardings/${customerId}/retry`,
      },
    });
  });

  it('cancels a running onboarding, refuses a second cancel, and retries it as a fresh run', async () => {
    const customerId = uniqueCustomerId();
    const first = (await start(customerId)).body as OnboardingLink;

    const running = await post(customerId, 'retry', { registration: REGISTRATION });
    expect(running.status).toBe(409);
    expect(running.body.error.code).toBe('onboarding_running');

    const invalid = await post(customerId, 'cancel', { reason: 'no requester', requestedBy: ' ' });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.details).toEqual([{ path: 'requestedBy', message: expect.any(String) }]);

    const cancelled = await post(customerId, 'cancel', {
      requestedBy: 'backend',
      reason: 'duplicate_account',
    });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({
      outcome: 'cancelled',
      reasons: [`cancelled_by:${OPS_IDENTITY}`, 'cancel_reason:duplicate_account'],
    });

    await waitForStatus(customerId, (s) => s.status === 'COMPLETED', 'the cancelled run to close');
    const twice = await post(customerId, 'cancel', { requestedBy: 'backend' });
    expect(twice.status).toBe(409);
    expect(twice.body.error.code).toBe('already_decided');

    const invalidRetry = await post(customerId, 'retry', {});
    expect(invalidRetry.status).toBe(400);
    expect(invalidRetry.body.error.details).toEqual([{ path: 'registration', message: expect.any(String) }]);

    const retried = await post(customerId, 'retry', { registration: REGISTRATION, timeouts: FAST_TIMEOUTS });
    expect(retried.status).toBe(201);
    const second = retried.body as OnboardingLink;
    expect(second).toMatchObject({ workflowId: first.workflowId, created: true, stage: 'awaiting_customer' });
    expect(second.runId).not.toBe(first.runId);
    expect(second.idvId).not.toBe(first.idvId);

    const state = await getStatus(customerId);
    expect(state.body).toMatchObject({ runId: second.runId, status: 'RUNNING' });
  });

  it('answers 502 ondato_rejected when Ondato refuses the verification, and starts afresh after that failure', async () => {
    const customerId = uniqueCustomerId();
    await env.control.setFault({ route: 'createIdv', mode: 'status', status: 400, times: 1 });

    const startedAt = Date.now();
    const refused = await start(customerId);
    // At once, from what the run recorded: no wait for the run to close.
    expect(Date.now() - startedAt).toBeLessThan(3_000);
    expect(refused.status).toBe(502);
    expect(refused.body.error).toEqual({
      code: 'ondato_rejected',
      message: expect.any(String),
      details: {
        workflowId: `onboarding-${customerId}`,
        runId: expect.any(String),
        status: 400,
        reason: 'ValidationFailed',
      },
    });
    expect(JSON.stringify(refused.body)).not.toContain(REGISTRATION.email);

    // The run closes once it told the backend (onboarding.failed); GET says where and why, with codes only.
    const failed = await waitForStatus(customerId, (s) => s.status === 'FAILED', 'the run to close');
    expect(failed).toMatchObject({ runId: refused.body.error.details.runId });
    expect(failed.failure).toEqual({
      type: 'OndatoRequestRejected',
      stage: 'creating_verification',
      message: 'Ondato refused the request',
      ondatoStatus: 400,
      ondatoReason: 'ValidationFailed',
    });
    expect(JSON.stringify(failed)).not.toContain('Injected fault');

    const again = await start(customerId);
    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({ created: true, stage: 'awaiting_customer' });
    expect(again.body.runId).not.toBe(refused.body.error.details.runId);
  });

  it('404s for customers with no onboarding and 400s for ids that cannot be one', async () => {
    const unknown = uniqueCustomerId('nobody');
    for (const response of [
      await getStatus(unknown),
      await post(unknown, 'review', { reviewerId: 'ops-1', decision: 'approved' }),
      await post(unknown, 'cancel', { requestedBy: 'backend' }),
      await post(unknown, 'retry', { registration: {} }),
    ]) {
      expect(response.status).toBe(404);
      expect(response.body.error.code).toBe('not_found');
    }
    const invalid = await getStatus('-bad%20id');
    expect(invalid.status).toBe(400);
    expect(invalid.body.error).toMatchObject({
      code: 'validation_failed',
      details: [{ path: 'customerId' }],
    });
  });

  it('keeps registration data out of the logs', async () => {
    const customerId = uniqueCustomerId();
    expect((await start(customerId)).status).toBe(201);
    const logged = env.logs.text();
    expect(logged).toContain(customerId);
    for (const value of [
      REGISTRATION.lastName,
      REGISTRATION.email,
      REGISTRATION.personalCode,
      String(REGISTRATION.phoneNumber),
      REGISTRATION.dateOfBirth,
    ]) {
      expect(logged).not.toContain(value);
    }
  });
});
