/**
 * The lifecycle through the API on the real stack (dev server, worker with the real activities, the Ondato
 * simulator delivering webhooks, a callback receiver): reminders as signed callbacks, a fresh link after the
 * session expired, the hand-over to the customer's aftercare run, and a re-verification of an approved customer.
 */
import request from 'supertest';
import {
  aftercareWorkflowId,
  getAftercareStateQuery,
  getStateQuery,
  onboardingWorkflowId,
  type OnboardingState,
} from '../../contract';
import { callbackEventSchema } from '../../api/schemas';
import { recordHistoryIfAsked } from '../helpers/histories';
import { waitFor } from '../helpers/wait-for';
import {
  basicAuth,
  bearer,
  createApiTestEnv,
  envelope,
  FAST_TIMEOUTS,
  OPS_KEY,
  REGISTRATION,
  uniqueCustomerId,
  type ApiTestEnv,
} from './support/api-env';

jest.setTimeout(120_000);

let env: ApiTestEnv;
beforeAll(async () => {
  env = await createApiTestEnv();
});
afterAll(async () => {
  await env?.close();
});

const api = () => ({
  get: (path: string) => request(env.app).get(path).set('Authorization', bearer()),
  post: (path: string, body: object) => request(env.app).post(path).set('Authorization', bearer()).send(body),
});
const ops = () => ({
  post: (path: string, body: object) =>
    request(env.app).post(path).set('Authorization', bearer(OPS_KEY)).send(body),
});

type Status = { status: string; stage?: string; outcome?: string; idvId?: string; relinkOpenUntil?: string };
async function statusWhen(customerId: string, accept: (status: Status) => boolean, what: string) {
  return waitFor(
    async () => {
      const status = (await api().get(`/v1/onboardings/${customerId}`)).body as Status;
      return accept(status) ? status : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 200, what },
  );
}

function runState(customerId: string): Promise<OnboardingState> {
  return env.client.workflow.getHandle(onboardingWorkflowId(customerId)).query(getStateQuery);
}

describe('reminders', () => {
  it('sends signed reminder callbacks with the link and its validity, none after the customer finished', async () => {
    const customerId = uniqueCustomerId('rem');
    const started = await api().post('/v1/onboardings', {
      customerId,
      registration: REGISTRATION,
      callbackUrl: env.callbacks.url,
      timeouts: FAST_TIMEOUTS,
      reminders: [{ afterLinkMs: 1_000 }, { afterLinkMs: 2_000 }, { beforeDeadlineMs: 5_000 }],
    });
    expect(started.status).toBe(201);
    const workflowId = onboardingWorkflowId(customerId);
    const reminders = () =>
      env.callbacks
        .forCustomer(customerId)
        .filter((callback) => callback.event.type === 'onboarding.reminder_due');
    await waitFor(async () => (reminders().length === 2 ? true : undefined), {
      timeoutMs: 20_000,
      what: 'two reminders',
    });
    const { customerDeadlineAt } = await runState(customerId);
    expect(reminders().map((callback) => callback.signatureValid)).toEqual([true, true]);
    // As the OpenAPI document describes the callback.
    for (const { event } of reminders()) expect(callbackEventSchema.strict().parse(event)).toEqual(event);
    expect(reminders().map((callback) => callback.event)).toMatchObject([
      {
        eventId: `${workflowId}/${started.body.idvId}/onboarding.reminder_due/1`,
        reminder: {
          number: 1,
          customerUrl: started.body.customerUrl,
          customerUrlValidUntil: customerDeadlineAt,
        },
      },
      {
        eventId: `${workflowId}/${started.body.idvId}/onboarding.reminder_due/2`,
        reminder: {
          number: 2,
          customerUrl: started.body.customerUrl,
          customerUrlValidUntil: customerDeadlineAt,
        },
      },
    ]);

    // The customer finishes long before the third (5 s before the 60 s deadline): it never goes out.
    await env.control.complete(started.body.idvId as string, { outcome: 'approved' });
    await statusWhen(customerId, (status) => status.status === 'COMPLETED', 'the decision');
    expect(reminders()).toHaveLength(2);
    await recordHistoryIfAsked('reminders-then-approved', env.client.workflow.getHandle(workflowId));
  });
});

describe('a fresh link', () => {
  it('after the session expired: a new IDV and URL, the join answers it, the old IDV ignored, approved on the new one', async () => {
    const customerId = uniqueCustomerId('relink');
    const workflowId = onboardingWorkflowId(customerId);
    const body = {
      customerId,
      registration: REGISTRATION,
      callbackUrl: env.callbacks.url,
      timeouts: { ...FAST_TIMEOUTS, relinkGraceMs: 40_000 },
    };
    const started = await api().post('/v1/onboardings', body);
    expect(started.status).toBe(201);
    const oldIdvId = started.body.idvId as string;

    const early = await api().post(`/v1/onboardings/${customerId}/link`, {});
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe('relink_not_possible');
    expect(early.body.error.message).toMatch(/not waiting for a fresh link/);
    // Ops cannot ask for it: it is the product's request.
    expect((await ops().post(`/v1/onboardings/${customerId}/link`, {})).status).toBe(403);

    await env.control.complete(oldIdvId, { outcome: 'expired' });
    const waiting = await statusWhen(
      customerId,
      (status) => status.relinkOpenUntil !== undefined,
      'the window',
    );
    expect(waiting).toMatchObject({ status: 'RUNNING', stage: 'awaiting_customer', idvStatus: 'Expired' });

    const relinked = await api()
      .post(`/v1/onboardings/${customerId}/link`, { note: 'ticket-1' })
      .set('Idempotency-Key', `relink-${customerId}`);
    expect(relinked.status).toBe(200);
    const newIdvId = relinked.body.idvId as string;
    expect(newIdvId).not.toBe(oldIdvId);
    expect(relinked.body.customerUrl).toContain(newIdvId);
    expect(relinked.body.customerUrl).not.toBe(started.body.customerUrl);
    expect(relinked.body.relinkOpenUntil).toBeUndefined();

    // A retry with the same Idempotency-Key replays the answer; without one, the link was replaced already.
    const replayed = await api()
      .post(`/v1/onboardings/${customerId}/link`, { note: 'ticket-1' })
      .set('Idempotency-Key', `relink-${customerId}`);
    expect(replayed.status).toBe(200);
    expect(replayed.body.idvId).toBe(newIdvId);
    const unkeyed = await api().post(`/v1/onboardings/${customerId}/link`, { note: 'ticket-1' });
    expect(unkeyed.status).toBe(409);
    expect(unkeyed.body.error.code).toBe('relink_not_possible');
    // The start's join hands out the new link.
    const joined = await api().post('/v1/onboardings', body);
    expect(joined.status).toBe(200);
    expect(joined.body).toMatchObject({ customerUrl: relinked.body.customerUrl, idvId: newIdvId });

    // A late webhook for the old IDV, as Ondato would send it: relayed, and ignored by the run.
    const late = envelope('IdentityVerification.StatusChanged', {
      id: oldIdvId,
      externalReferenceId: customerId,
      status: 'Completed',
    });
    const delivered = await request(env.app)
      .post('/webhooks/ondato')
      .set('Authorization', basicAuth())
      .set('Content-Type', 'application/json')
      .send(JSON.stringify(late));
    expect(delivered.status).toBe(200);
    const afterLate = await waitFor(
      async () => {
        const state = await runState(customerId);
        return state.webhooksReceived >= 2 ? state : undefined;
      },
      { timeoutMs: 10_000, what: 'the late webhook' },
    );
    expect(afterLate).toMatchObject({ idvId: newIdvId, stage: 'awaiting_customer' });
    expect(afterLate.createdIdvIds).toEqual([oldIdvId, newIdvId]);
    expect(afterLate.extraVerifications).toBeUndefined();
    expect((await env.control.verification(oldIdvId)).identityVerification.redaction).toBeFalsy();

    await env.control.complete(newIdvId, { outcome: 'approved' });
    const decided = await statusWhen(customerId, (status) => status.status === 'COMPLETED', 'the decision');
    expect(decided).toMatchObject({ outcome: 'approved', idvId: newIdvId });
    const completed = env.callbacks
      .forCustomer(customerId)
      .filter((callback) => callback.event.type === 'onboarding.completed');
    expect(completed.map((callback) => callback.event.idvId)).toEqual([newIdvId]);

    const closed = await api().post(`/v1/onboardings/${customerId}/link`, {});
    expect(closed.status).toBe(409);
    expect(closed.body.error.code).toBe('relink_not_possible');
    expect((await api().post(`/v1/onboardings/${uniqueCustomerId('nobody')}/link`, {})).status).toBe(404);
    await recordHistoryIfAsked('relinked-then-approved', env.client.workflow.getHandle(workflowId));
  });
});

describe('re-verification', () => {
  it('hands an approved run over to aftercare, re-verifies on request, and signals aftercare when that run closes', async () => {
    const customerId = uniqueCustomerId('reverify');
    const workflowId = onboardingWorkflowId(customerId);
    const startBody = { registration: REGISTRATION, callbackUrl: env.callbacks.url, timeouts: FAST_TIMEOUTS };

    expect((await api().post(`/v1/onboardings/${customerId}/reverification`, startBody)).status).toBe(404);
    const started = await api().post('/v1/onboardings', { customerId, ...startBody });
    const running = await api().post(`/v1/onboardings/${customerId}/reverification`, startBody);
    expect(running.status).toBe(409);
    expect(running.body.error.code).toBe('onboarding_running');

    await env.control.complete(started.body.idvId as string, { outcome: 'approved' });
    await statusWhen(customerId, (status) => status.status === 'COMPLETED', 'the approval');
    const approvedRunId = started.body.runId as string;
    const approvedState = await runState(customerId);
    expect(approvedState.aftercare?.how).toBe('started');

    // The aftercare run holds the closed onboarding, with the document's expiry from the KYC data.
    const aftercare = env.client.workflow.getHandle(aftercareWorkflowId(customerId));
    const first = await waitFor(
      async () => {
        const state = await aftercare.query(getAftercareStateQuery);
        return state.latest ? state : undefined;
      },
      { timeoutMs: 10_000, what: 'the aftercare state' },
    );
    expect(first.latest).toMatchObject({ workflowId, runId: approvedRunId, outcome: 'approved' });
    expect(first.latest?.documentExpiresOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(first.reverificationDueAt).toBeDefined();

    const reverified = await api().post(`/v1/onboardings/${customerId}/reverification`, startBody);
    expect(reverified.status).toBe(201);
    expect(reverified.body.runId).not.toBe(approvedRunId);
    expect(reverified.body.idvId).not.toBe(started.body.idvId);
    expect(reverified.body.resumedFromKycId).toBeUndefined();
    const state = await runState(customerId);
    expect(state.reverificationOf).toEqual({
      workflowId,
      runId: approvedRunId,
      kycId: approvedState.kycId,
    });
    // The same request again joins the running re-verification; a start joins it too.
    const repeat = await api().post(`/v1/onboardings/${customerId}/reverification`, startBody);
    expect(repeat.status).toBe(200);
    expect(repeat.body.runId).toBe(reverified.body.runId);

    // Its close (here: cancelled by ops) reaches the same aftercare run as a signal.
    expect((await ops().post(`/v1/onboardings/${customerId}/cancel`, { reason: 'test' })).status).toBe(200);
    await statusWhen(customerId, (status) => status.status === 'COMPLETED', 'the cancellation');
    expect((await runState(customerId)).aftercare?.how).toBe('signalled');
    const second = await waitFor(
      async () => {
        const current = await aftercare.query(getAftercareStateQuery);
        return current.latest?.runId === reverified.body.runId ? current : undefined;
      },
      { timeoutMs: 10_000, what: 'the signalled aftercare run' },
    );
    expect(second.latest).toMatchObject({ outcome: 'cancelled' });
    expect((await aftercare.describe()).status.name).toBe('RUNNING');
    await recordHistoryIfAsked('reverification-signals-aftercare', env.client.workflow.getHandle(workflowId));

    const notApproved = await api().post(`/v1/onboardings/${customerId}/reverification`, startBody);
    expect(notApproved.status).toBe(409);
    expect(notApproved.body.error.code).toBe('onboarding_not_approved');
    await aftercare.terminate('test finished').catch(() => undefined);
  });
});
