/**
 * How the API repairs and replaces runs, against a real dev server, worker and simulator: a run parked in
 * `needs_attention` and resumed by ops, a start whose run failed before a link existed (502 at once), a start
 * after a terminated run and a retry after a cancelled one (both take over the finished verification), and a
 * retry after a rejection (a new verification).
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { Express } from 'express';
import request from 'supertest';
import { createApp } from '../../api/app';
import type { OnboardingLink, OnboardingStatus } from '../../api/schemas';
import { createDataConverter } from '../../codec/data-converter';
import { loadConfig } from '../../config';
import { onboardingWorkflowId } from '../../contract';
import { waitFor } from '../helpers/wait-for';
import {
  API_KEY,
  apiEnv,
  bearer,
  captureLogs,
  createApiTestEnv,
  FAST_TIMEOUTS,
  OPS_IDENTITY,
  OPS_KEY,
  REGISTRATION,
  uniqueCustomerId,
  type ApiTestEnv,
} from './support/api-env';
import { closedChannelGuardInterceptors } from '../../composition/grpc-closed-channel';

/** The message of every injected fault: Ondato's free text, which must never reach a client. */
const ONDATO_FREE_TEXT = 'Injected fault';

describe('parked, failed and replaced runs', () => {
  let env: ApiTestEnv;

  beforeAll(async () => {
    // Credential refusals give up after half a second, so a run refused before its link fails in about one.
    env = await createApiTestEnv({ env: { ONDATO_AUTH_RETRY_WINDOW_MS: '500' } });
  });
  afterAll(async () => {
    await env?.close();
  });
  afterEach(async () => {
    await env.control.clearFaults();
  });

  const start = (customerId: string) =>
    request(env.app)
      .post('/v1/onboardings')
      .set('Authorization', bearer())
      .send({ customerId, registration: REGISTRATION, timeouts: FAST_TIMEOUTS });
  const retry = (customerId: string) =>
    request(env.app)
      .post(`/v1/onboardings/${customerId}/retry`)
      .set('Authorization', bearer(OPS_KEY))
      .send({ registration: REGISTRATION, timeouts: FAST_TIMEOUTS });
  const resume = (customerId: string, body: object, key = OPS_KEY) =>
    request(env.app)
      .post(`/v1/onboardings/${customerId}/resume`)
      .set('Authorization', bearer(key))
      .send(body);
  const getStatus = (customerId: string) =>
    request(env.app).get(`/v1/onboardings/${customerId}`).set('Authorization', bearer());
  const waitForStatus = (customerId: string, accept: (status: OnboardingStatus) => boolean, what: string) =>
    waitFor(
      async () => {
        const response = await getStatus(customerId);
        const status = response.body as OnboardingStatus;
        return response.status === 200 && accept(status) ? status : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 100, what },
    );
  const verificationsOf = async (customerId: string) =>
    (await env.control.verifications({ externalReferenceId: customerId })).map((idv) => idv.id);

  /** A run whose customer finished and whose result Ondato keeps `Awaiting`: it holds both ids and waits. */
  async function finishedAndWaiting(customerId: string): Promise<{ link: OnboardingLink; kycId: string }> {
    const link = (await start(customerId)).body as OnboardingLink;
    await env.control.complete(link.idvId as string, { outcome: 'awaiting' });
    const waiting = await waitForStatus(
      customerId,
      (s) => s.stage === 'awaiting_ondato_review',
      'Ondato to keep the result awaiting',
    );
    return { link, kycId: waiting.kycId as string };
  }

  describe('resume (ops)', () => {
    it('parks a run whose step fails after the link, shows why, and resumes it for an ops key only', async () => {
      const customerId = uniqueCustomerId('park');
      const link = (await start(customerId)).body as OnboardingLink;

      const notYet = await resume(customerId, { requestedBy: 'ops-7' });
      expect(notYet.status).toBe(409);
      expect(notYet.body.error).toEqual({
        code: 'not_parked',
        message: 'the onboarding is not parked (stage: awaiting_customer)',
      });

      // Ondato answers 404 for the identification once: the run parks instead of failing.
      await env.control.setFault({ route: 'getKyc', mode: 'status', status: 404, times: 1 });
      await env.control.complete(link.idvId as string, { outcome: 'approved' });
      const parked = await waitForStatus(customerId, (s) => s.stage === 'needs_attention', 'the run to park');
      expect(parked).toMatchObject({ status: 'RUNNING', idvId: link.idvId, kycId: expect.any(String) });
      expect(parked.attention).toEqual({
        reason: 'OndatoRequestRejected',
        step: 'fetching_results',
        message: expect.stringContaining('404'),
        ondatoStatus: 404,
        ondatoReason: 'NotFound',
        since: expect.any(String),
        retryAt: expect.any(String),
      });
      expect(JSON.stringify(parked)).not.toContain(ONDATO_FREE_TEXT);

      // Product backends cannot resume runs (403: a known key of the wrong role); no key at all is a 401.
      const productKey = await resume(customerId, { requestedBy: 'backend' }, API_KEY);
      expect(productKey.status).toBe(403);
      expect(productKey.body.error.code).toBe('forbidden');
      expect(productKey.body.error.message).toMatch(/ops key/);
      expect((await request(env.app).post(`/v1/onboardings/${customerId}/resume`).send({})).status).toBe(401);
      const blank = await resume(customerId, { requestedBy: ' ', note: 'who?' });
      expect(blank.status).toBe(400);
      expect(blank.body.error.details).toEqual([{ path: 'requestedBy', message: expect.any(String) }]);
      expect((await resume(customerId, { requestedBy: 'ops-7', extra: 1 })).status).toBe(400);

      const resumed = await resume(customerId, { requestedBy: 'ops-7', note: 'Ondato found it again' });
      expect(resumed.status).toBe(200);
      const view = resumed.body as OnboardingStatus;
      expect(view.stage).not.toBe('needs_attention');
      expect(view.attention).toBeUndefined();
      // The ops key's identity is recorded, not the requestedBy the body claims.
      expect(view.resumes).toEqual([
        {
          requestedBy: OPS_IDENTITY,
          note: 'Ondato found it again',
          step: 'fetching_results',
          reason: 'OndatoRequestRejected',
          at: expect.any(String),
        },
      ]);
      expect(env.logs.text()).toContain('"msg":"onboarding resumed"');

      const done = await waitForStatus(customerId, (s) => s.status === 'COMPLETED', 'the resumed run');
      expect(done).toMatchObject({ outcome: 'approved', resumes: [{ requestedBy: OPS_IDENTITY }] });
      expect(await verificationsOf(customerId)).toEqual([link.idvId]);

      const closed = await resume(customerId, { requestedBy: 'ops-7' });
      expect(closed.status).toBe(409);
      expect(closed.body.error.code).toBe('not_parked');
      const unknown = await resume(uniqueCustomerId('nobody'), { requestedBy: 'ops-7' });
      expect(unknown.status).toBe(404);
    });
  });

  describe('a start whose run fails before the customer has a link', () => {
    it('answers 502 ondato_rejected at once when Ondato refuses the verification', async () => {
      const customerId = uniqueCustomerId('refused');
      await env.control.setFault({ route: 'createIdv', mode: 'status', status: 400, times: 1 });
      const startedAt = Date.now();
      const refused = await start(customerId);
      expect(Date.now() - startedAt).toBeLessThan(3_000);
      expect(refused.status).toBe(502);
      expect(refused.body.error.details).toEqual({
        workflowId: onboardingWorkflowId(customerId),
        runId: expect.any(String),
        status: 400,
        reason: 'ValidationFailed',
      });
      expect(JSON.stringify(refused.body)).not.toContain(ONDATO_FREE_TEXT);
    });

    it('answers 502 onboarding_failed with the failure type, stage and Ondato codes for other failures', async () => {
      const customerId = uniqueCustomerId('creds');
      // Credentials refused past ONDATO_AUTH_RETRY_WINDOW_MS (here 500 ms): the second attempt gives up.
      await env.control.setFault({ route: 'createIdv', mode: 'status', status: 403, times: 2 });
      const failed = await start(customerId);
      expect(failed.status).toBe(502);
      expect(failed.body.error).toEqual({
        code: 'onboarding_failed',
        message: expect.any(String),
        details: {
          workflowId: onboardingWorkflowId(customerId),
          runId: expect.any(String),
          failure: {
            type: 'OndatoAuthFailed',
            stage: 'creating_verification',
            message: expect.stringContaining('403'),
            ondatoStatus: 403,
            ondatoReason: 'AuthorizationFailed',
          },
        },
      });
      expect(JSON.stringify(failed.body)).not.toContain(ONDATO_FREE_TEXT);

      const closed = await waitForStatus(customerId, (s) => s.status === 'FAILED', 'the run to close');
      expect(closed.failure).toMatchObject({
        type: 'OndatoAuthFailed',
        stage: 'creating_verification',
        ondatoStatus: 403,
        ondatoReason: 'AuthorizationFailed',
      });
    });

    it('answers 502, not 503, when the run closes while the start waits for the link', async () => {
      // An app whose task queue has no worker: the start waits, and ops terminate the run meanwhile.
      const connection = await Connection.connect({
        interceptors: closedChannelGuardInterceptors(),
        address: env.config.temporal.address,
      });
      try {
        const config = loadConfig(
          apiEnv({
            TEMPORAL_ADDRESS: env.config.temporal.address,
            TEMPORAL_NAMESPACE: env.config.temporal.namespace,
            TEMPORAL_TASK_QUEUE: `recovery-no-worker-${randomUUID()}`,
            API_START_WAIT_MS: '10000',
          }),
        );
        const client = new Client({
          connection,
          namespace: config.temporal.namespace,
          dataConverter: createDataConverter(config),
        });
        const app: Express = createApp({ temporal: client, config, logger: captureLogs().logger });
        const customerId = uniqueCustomerId('stopped');
        const answer = request(app)
          .post('/v1/onboardings')
          .set('Authorization', bearer())
          .send({ customerId, registration: REGISTRATION })
          .then((response) => response);
        const handle = client.workflow.getHandle(onboardingWorkflowId(customerId));
        await waitFor(() => handle.describe().catch(() => undefined), {
          timeoutMs: 5_000,
          intervalMs: 50,
          what: 'the run to exist',
        });
        await handle.terminate('stopped by ops');
        const response = await answer;
        expect(response.status).toBe(502);
        expect(response.body.error).toMatchObject({
          code: 'onboarding_failed',
          details: { workflowId: onboardingWorkflowId(customerId), failure: { type: 'TerminatedFailure' } },
        });
      } finally {
        await connection.close();
      }
    });
  });

  describe('replacing a closed run keeps a finished verification', () => {
    it('a start after a terminated run takes over its verification: no new IDV, the same KYC, approved', async () => {
      const customerId = uniqueCustomerId('taken');
      const { link, kycId } = await finishedAndWaiting(customerId);
      await env.client.workflow.getHandle(link.workflowId).terminate('worker bug');

      const terminated = await waitForStatus(customerId, (s) => s.status === 'TERMINATED', 'termination');
      expect(terminated).toMatchObject({
        kycId,
        idvId: link.idvId,
        failure: { type: 'TerminatedFailure', stage: 'awaiting_ondato_review' },
      });

      const again = await start(customerId);
      expect(again.status).toBe(201);
      expect(again.body).toMatchObject({
        workflowId: link.workflowId,
        created: true,
        customerUrl: null,
        idvId: link.idvId,
        resumedFromKycId: kycId,
      });
      expect(again.body.runId).not.toBe(link.runId);
      expect(await verificationsOf(customerId)).toEqual([link.idvId]);

      await env.control.decide(kycId, { status: 'Approved' });
      const done = await waitForStatus(customerId, (s) => s.status === 'COMPLETED', 'the new run');
      expect(done).toMatchObject({
        runId: again.body.runId,
        outcome: 'approved',
        idvId: link.idvId,
        kycId,
        resumedFromKycId: kycId,
      });
      expect(await verificationsOf(customerId)).toEqual([link.idvId]);
    });

    it('a retry after a cancelled run takes over its verification', async () => {
      const customerId = uniqueCustomerId('cancelled');
      const { link, kycId } = await finishedAndWaiting(customerId);
      const cancelled = await request(env.app)
        .post(`/v1/onboardings/${customerId}/cancel`)
        .set('Authorization', bearer(OPS_KEY))
        .send({ requestedBy: 'backend' });
      expect(cancelled.status).toBe(200);
      await waitForStatus(customerId, (s) => s.status === 'COMPLETED', 'the cancelled run to close');

      const retried = await retry(customerId);
      expect(retried.status).toBe(201);
      expect(retried.body).toMatchObject({ customerUrl: null, idvId: link.idvId, resumedFromKycId: kycId });
      expect(await verificationsOf(customerId)).toEqual([link.idvId]);
    });

    it('a retry after a rejection sends the customer through Ondato again (a new IDV)', async () => {
      const customerId = uniqueCustomerId('rejected');
      const link = (await start(customerId)).body as OnboardingLink;
      await env.control.complete(link.idvId as string, {
        outcome: 'rejected',
        statusReason: 'DocumentIsExpired',
      });
      await waitForStatus(
        customerId,
        (s) => s.outcome === 'rejected' && s.status === 'COMPLETED',
        'rejection',
      );

      const retried = await retry(customerId);
      expect(retried.status).toBe(201);
      const fresh = retried.body as OnboardingLink;
      expect(fresh.resumedFromKycId).toBeUndefined();
      expect(fresh.customerUrl).toEqual(expect.stringContaining(fresh.idvId as string));
      expect(fresh.idvId).not.toBe(link.idvId);
      expect(await verificationsOf(customerId)).toEqual(expect.arrayContaining([link.idvId, fresh.idvId]));
    });
  });
});
