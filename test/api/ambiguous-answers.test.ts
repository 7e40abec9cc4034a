/**
 * Honest answers when part of the system is away. With the worker down, Temporal still takes a review or a
 * cancel (it admits the update) but nothing applies it: 202 with what is pending, not "Temporal unavailable".
 * Once a worker runs, the decision applies, and the same call again answers its result, not a 409. With
 * Temporal itself down, a start answers 503 within API_TEMPORAL_TIMEOUT_MS (it used to wait out the customer-URL
 * wait and a second check in series).
 */
import { createServer, type AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import request from 'supertest';
import { createApp } from '../../api/app';
import type { PendingUpdate } from '../../api/pending-update';
import type { OnboardingLink, OnboardingStatus } from '../../api/schemas';
import { createDataConverter } from '../../codec/data-converter';
import { createOnboardingWorker, type OnboardingWorker } from '../../composition/worker';
import { loadConfig, type AppConfig } from '../../config';
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

jest.setTimeout(120_000);

const CALL_TIMEOUT_MS = 3_000;

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('answers while the worker or Temporal is away', () => {
  let env: ApiTestEnv;
  /** The app under test, on a task queue whose worker the test stops and starts. */
  let app: ReturnType<typeof createApp>;
  let config: AppConfig;
  let worker: { handle: OnboardingWorker; running: Promise<void> } | undefined;

  const startWorker = async () => {
    const handle = await createOnboardingWorker(config);
    worker = { handle, running: handle.worker.run() };
  };
  const stopWorker = async () => {
    if (!worker) return;
    worker.handle.worker.shutdown();
    await worker.running;
    await worker.handle.close();
    worker = undefined;
  };

  beforeAll(async () => {
    env = await createApiTestEnv({ env: { API_TEMPORAL_TIMEOUT_MS: String(CALL_TIMEOUT_MS) } });
    config = {
      ...env.config,
      temporal: { ...env.config.temporal, taskQueue: `${env.config.temporal.taskQueue}-own` },
    };
    app = createApp({ temporal: env.client, config, logger: env.logs.logger });
    await startWorker();
  });
  afterAll(async () => {
    await stopWorker();
    await env?.close();
  });

  /** Starts go with the product backend's key; review and cancel need an ops key. */
  const post = (path: string, body: object) =>
    request(app)
      .post(path)
      .set('Authorization', bearer(path === '/v1/onboardings' ? API_KEY : OPS_KEY))
      .send(body);
  const stateOf = async (customerId: string) =>
    (await request(app).get(`/v1/onboardings/${customerId}`).set('Authorization', bearer()))
      .body as OnboardingStatus;

  async function startRun(): Promise<{ customerId: string; link: OnboardingLink }> {
    const customerId = uniqueCustomerId('amb');
    const started = await post('/v1/onboardings', {
      customerId,
      registration: REGISTRATION,
      timeouts: FAST_TIMEOUTS,
    });
    expect(started.status).toBe(201);
    return { customerId, link: started.body as OnboardingLink };
  }

  it('review and cancel with the worker down: 202 pending; applied once a worker runs; the same call again answers the result', async () => {
    // One run waits in manual review, another for its customer.
    const reviewed = await startRun();
    await env.control.complete(reviewed.link.idvId as string, {
      outcome: 'approved',
      rules: [{ name: 'SelfieAndDocumentFacesMatch', status: 'Fail' }],
    });
    await waitFor(
      async () => ((await stateOf(reviewed.customerId)).stage === 'manual_review' ? true : undefined),
      {
        timeoutMs: 30_000,
        what: 'manual review',
      },
    );
    const cancelled = await startRun();

    await stopWorker();
    const review = { reviewerId: 'ops-7', decision: 'approved', note: 'documents checked by hand' };
    const began = Date.now();
    const pending = await post(`/v1/onboardings/${reviewed.customerId}/review`, review);
    const pendingMs = Date.now() - began;
    expect(pending.status).toBe(202);
    expect(pending.headers.location).toBe(`/v1/onboardings/${reviewed.customerId}`);
    expect(pending.body as PendingUpdate).toMatchObject({
      workflowId: reviewed.link.workflowId,
      operation: 'review',
      updateStage: 'admitted',
    });
    expect(pendingMs).toBeLessThan(CALL_TIMEOUT_MS + 1_000);
    // The same call while still down joins the same update.
    const again = await post(`/v1/onboardings/${reviewed.customerId}/review`, review);
    expect(again.status).toBe(202);
    expect(again.body.updateId).toBe(pending.body.updateId);

    const cancelPending = await post(`/v1/onboardings/${cancelled.customerId}/cancel`, {
      requestedBy: 'backend',
    });
    expect(cancelPending.status).toBe(202);
    expect(cancelPending.body).toMatchObject({ operation: 'cancel', updateStage: 'admitted' });
    process.stdout.write(`[ambiguous] review answered 202 in ${pendingMs} ms with the worker down\n`);

    await startWorker();
    const decided = await waitFor(
      async () => {
        const state = await stateOf(reviewed.customerId);
        return state.outcome ? state : undefined;
      },
      { timeoutMs: 30_000, what: 'the review to apply' },
    );
    expect(decided.outcome).toBe('approved');
    expect(decided.review).toMatchObject({ reviewerId: OPS_IDENTITY, decision: 'approved' });
    const retried = await post(`/v1/onboardings/${reviewed.customerId}/review`, review);
    expect(retried.status).toBe(200);
    expect(retried.body.review).toMatchObject({ reviewerId: OPS_IDENTITY, decision: 'approved' });
    // Another decision is another request: refused, as before.
    const other = await post(`/v1/onboardings/${reviewed.customerId}/review`, {
      ...review,
      decision: 'rejected',
    });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('no_review_pending');

    await waitFor(
      async () => ((await stateOf(cancelled.customerId)).outcome === 'cancelled' ? true : undefined),
      {
        timeoutMs: 30_000,
        what: 'the cancel to apply',
      },
    );
    const cancelAgain = await post(`/v1/onboardings/${cancelled.customerId}/cancel`, {
      requestedBy: 'backend',
    });
    expect(cancelAgain.status).toBe(200);
    expect(cancelAgain.body.outcome).toBe('cancelled');
  });

  it('a start with Temporal down answers 503 within API_TEMPORAL_TIMEOUT_MS', async () => {
    const timeoutMs = 1_000;
    const connection = Connection.lazy({ address: `127.0.0.1:${await closedPort()}` });
    // The customer-URL wait stays at its default (10 s): the answer must not wait for it.
    const downConfig = loadConfig(apiEnv({ API_TEMPORAL_TIMEOUT_MS: String(timeoutMs) }));
    const down = createApp({
      temporal: new Client({ connection, dataConverter: createDataConverter(downConfig) }),
      config: downConfig,
      logger: captureLogs().logger,
    });
    try {
      const timings: number[] = [];
      for (const customerId of [uniqueCustomerId('down'), uniqueCustomerId('down')]) {
        const began = Date.now();
        const answer = await request(down)
          .post('/v1/onboardings')
          .set('Authorization', bearer())
          .send({ customerId, registration: REGISTRATION });
        timings.push(Date.now() - began);
        expect(answer.status).toBe(503);
        expect(answer.body.error.code).toBe('temporal_unavailable');
        expect(answer.headers['retry-after']).toBeDefined();
      }
      const reviewBegan = Date.now();
      const review = await request(down)
        .post(`/v1/onboardings/${uniqueCustomerId('down')}/review`)
        .set('Authorization', bearer(OPS_KEY))
        .send({ reviewerId: 'ops-1', decision: 'approved' });
      const reviewMs = Date.now() - reviewBegan;
      expect(review.status).toBe(503);
      process.stdout.write(
        `[ambiguous] Temporal down (API_TEMPORAL_TIMEOUT_MS ${timeoutMs}): start 503 after ${timings.join(' ms, ')} ms; review 503 after ${reviewMs} ms\n`,
      );
      for (const ms of timings) expect(ms).toBeLessThan(timeoutMs + 500);
    } finally {
      // The client's own retries of the abandoned calls run on a little past the answer (their deadline plus
      // backoff); closing the channel under them makes grpc throw from a timer.
      await new Promise((resolve) => setTimeout(resolve, timeoutMs + 1_500));
      await connection.close().catch(() => undefined);
    }
  });
});
