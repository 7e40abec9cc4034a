/**
 * Erasure, retention and legal hold over the real stack: the API, a worker with the real activities, the
 * Temporal dev server and the Ondato simulator over HTTP. The privacy proof: after an approved customer is
 * erased, no stored document, no onboarding or aftercare history, no personal value at the simulator, in the
 * logs (API and SDK at trace level) or in the audit record is left. Retention runs with periods of seconds.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import request from 'supertest';
import type { OnboardingLink, OnboardingStatus } from '../../api/schemas';
import { erasureAuditKey } from '../../activities/lifecycle';
import { aftercareWorkflowId, onboardingWorkflowId, type ErasureRecord } from '../../contract';
import { LocalDocumentStore } from '../../storage/local-store';
import {
  bearer,
  createApiTestEnv,
  OPS_IDENTITY,
  OPS_KEY,
  REGISTRATION,
  uniqueCustomerId,
  type ApiTestEnv,
} from '../api/support/api-env';
import { captureRuntimeLogs } from '../harness/runtime-log';
import { recordHistoryIfAsked } from '../helpers/histories';
import { waitFor } from '../helpers/wait-for';
import { foundNeedles, readableText, registrationNeedles } from './support';

jest.setTimeout(180_000);

const RETENTION_REJECTED_MS = 8_000;
const DOCUMENT_NUMBER = 'LT9988776';
const NEEDLES = [...registrationNeedles(REGISTRATION), DOCUMENT_NUMBER];
const TIMEOUTS = {
  customerDeadlineMs: 120_000,
  ondatoReviewDeadlineMs: 120_000,
  manualReviewEscalationMs: 120_000,
  pollIntervalMs: 2_000,
};

function readable(lines: string): string {
  return lines
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => `${line}\n${readableText(JSON.parse(line))}`)
    .join('\n');
}

function inDays(days: number): string {
  return new Date(Date.now() + days * 24 * 60 * 60 * 1000).toISOString().slice(0, 10);
}

describe('erasure, retention and legal hold', () => {
  let env: ApiTestEnv;
  let store: LocalDocumentStore;

  beforeAll(async () => {
    env = await createApiTestEnv({
      env: {
        RETENTION_APPROVED: 'off',
        RETENTION_REJECTED: `${RETENTION_REJECTED_MS / 1000}s`,
        RETENTION_UNFINISHED: 'off',
        REVERIFICATION_LEAD: '30d',
      },
    });
    store = new LocalDocumentStore(env.config.documents.dir, env.config.codec.keyRing);
  });
  afterAll(async () => {
    await env?.close();
  });

  const ops = (call: request.Test) => call.set('Authorization', bearer(OPS_KEY));

  async function start(customerId: string): Promise<OnboardingLink> {
    const response = await request(env.app).post('/v1/onboardings').set('Authorization', bearer()).send({
      customerId,
      registration: REGISTRATION,
      callbackUrl: env.callbacks.url,
      timeouts: TIMEOUTS,
    });
    expect(response.status).toBe(201);
    return response.body as OnboardingLink;
  }

  async function finish(customerId: string, outcome: 'approved' | 'rejected'): Promise<OnboardingStatus> {
    const link = await start(customerId);
    await env.control.complete(link.idvId as string, {
      outcome,
      document: {
        firstName: REGISTRATION.firstName,
        lastName: REGISTRATION.lastName,
        dateOfBirth: REGISTRATION.dateOfBirth,
        personalCode: REGISTRATION.personalCode,
        documentNumber: DOCUMENT_NUMBER,
        dateOfExpiration: inDays(10),
      },
    });
    return waitFor(
      async () => {
        const status = (
          await request(env.app).get(`/v1/onboardings/${customerId}`).set('Authorization', bearer())
        ).body as OnboardingStatus;
        return status.status === 'COMPLETED' ? status : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: `${customerId} to complete` },
    );
  }

  const callback = (customerId: string, type: string) =>
    waitFor(
      async () => env.callbacks.forCustomer(customerId).find((received) => received.event.type === type),
      {
        timeoutMs: 30_000,
        what: `${type} for ${customerId}`,
      },
    );

  async function erasureRecord(erasureId: string, status: ErasureRecord['status']): Promise<ErasureRecord> {
    return waitFor(
      async () => {
        const response = await ops(request(env.app).get(`/v1/erasures/${erasureId}`));
        const record = response.body as ErasureRecord;
        return response.status === 200 && record.status === status ? record : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250, what: `erasure ${erasureId} ${status}` },
    );
  }

  /** Every run of the workflow id Temporal still lists (deletion is asynchronous: polled until none). */
  async function runsOf(workflowId: string): Promise<string[]> {
    const runs: string[] = [];
    for await (const info of env.client.workflow.list({ query: `WorkflowId = '${workflowId}'` }))
      runs.push(info.runId);
    return runs;
  }

  async function filesUnder(customerId: string): Promise<string[]> {
    return readdir(path.join(env.config.documents.dir, customerId), { recursive: true }).catch(() => []);
  }

  it('erases an approved customer: no document, history, personal value at Ondato, in logs or in the audit record', async () => {
    const runtime = captureRuntimeLogs();
    const customerId = uniqueCustomerId('erase');
    let state: OnboardingStatus;
    let erasureId: string;
    try {
      state = await finish(customerId, 'approved');
      expect(state.outcome).toBe('approved');
      // The controls: documents are stored, the aftercare run exists and sent the re-verification notice (the
      // document expires within the configured lead).
      expect((await store.list(`${customerId}/`)).length).toBeGreaterThan(0);
      const due = await callback(customerId, 'onboarding.reverification_due');
      expect(due.event.reverification).toEqual({ documentExpiresOn: inDays(10) });
      expect(await runsOf(aftercareWorkflowId(customerId))).toHaveLength(1);
      await recordHistoryIfAsked(
        'aftercare-reverification-notice',
        env.client.workflow.getHandle(aftercareWorkflowId(customerId)),
      );

      const erase = await ops(request(env.app).delete(`/v1/onboardings/${customerId}`));
      expect(erase.status).toBe(202);
      expect(erase.body).toMatchObject({ status: 'running', joined: false });
      erasureId = erase.body.erasureId as string;
      expect(erase.headers.location).toBe(`/v1/erasures/${erasureId}`);

      const record = await erasureRecord(erasureId, 'completed');
      expect(record).toMatchObject({
        customerId,
        requestedBy: OPS_IDENTITY,
        trigger: 'request',
        documentsDeleted: state.documents.length,
        ondatoRedactionsRequested: [state.idvId],
        ondatoRedactionsRefused: [],
      });
      expect(record.runsDeleted.map((run) => run.workflowId).sort()).toEqual(
        [aftercareWorkflowId(customerId), onboardingWorkflowId(customerId)].sort(),
      );
      const erased = await callback(customerId, 'onboarding.erased');
      expect(erased.event.erasure).toEqual({ erasureId });
      await recordHistoryIfAsked('erasure-on-request', env.client.workflow.getHandle(`erasure-${erasureId}`));

      // Documents: none under the customer's prefix, not even an empty folder.
      expect(await store.list(`${customerId}/`)).toEqual([]);
      expect(await filesUnder(customerId)).toEqual([]);

      // Temporal: no onboarding or aftercare run of the customer is listed or can be described.
      await waitFor(
        async () =>
          (await runsOf(onboardingWorkflowId(customerId))).length +
            (await runsOf(aftercareWorkflowId(customerId))).length ===
          0
            ? true
            : undefined,
        // The server deletes asynchronously: 10 to 30 s after the request on the dev server here.
        { timeoutMs: 90_000, intervalMs: 500, what: 'the histories to be deleted' },
      );
      await expect(
        env.client.workflow.getHandle(onboardingWorkflowId(customerId)).describe(),
      ).rejects.toThrow();
      const gone = await request(env.app).get(`/v1/onboardings/${customerId}`).set('Authorization', bearer());
      expect(gone.status).toBe(404);

      // Ondato (the simulator): the IDV is redacted and neither it nor its identification holds personal data.
      const idvId = state.idvId as string;
      await waitFor(
        async () =>
          (await env.control.verifications({ externalReferenceId: customerId }))[0]?.redactedUtc ?? undefined,
      );
      const atOndato = JSON.stringify(await env.control.verification(idvId));
      expect(foundNeedles(atOndato, NEEDLES)).toEqual([]);

      // The audit record: kept outside the deleted histories, ids and counts only.
      const chunks: Buffer[] = [];
      for await (const chunk of await store.get(erasureAuditKey(erasureId))) chunks.push(chunk as Buffer);
      const audit = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ErasureRecord;
      expect(audit).toEqual(record);
      expect(foundNeedles(JSON.stringify(audit), NEEDLES)).toEqual([]);
      await new Promise((resolve) => setTimeout(resolve, 300));
    } finally {
      runtime.stop();
    }
    const sdkLogs = readable(runtime.text());
    const apiLogs = readable(env.logs.text());
    // The capture worked: both logs saw the erasure.
    expect(sdkLogs).toContain('erasure recorded');
    expect(apiLogs).toContain(erasureId);
    expect(foundNeedles(sdkLogs, NEEDLES)).toEqual([]);
    expect(foundNeedles(apiLogs, NEEDLES)).toEqual([]);
  });

  it('erases by retention after the configured period; a legal hold stops it until lifted', async () => {
    const free = uniqueCustomerId('retain');
    const held = uniqueCustomerId('held');
    const [freeState, heldState] = await Promise.all([finish(free, 'rejected'), finish(held, 'rejected')]);
    expect([freeState.outcome, heldState.outcome]).toEqual(['rejected', 'rejected']);

    const hold = await ops(request(env.app).put(`/v1/onboardings/${held}/legal-hold`)).send({
      on: true,
      reason: 'CASE-2026-17',
    });
    expect(hold.status).toBe(200);
    expect(hold.body).toMatchObject({
      customerId: held,
      legalHold: { on: true, setBy: OPS_IDENTITY, reason: 'CASE-2026-17' },
      latest: { outcome: 'rejected' },
    });
    const retentionDueAt = Date.parse(hold.body.retentionDueAt as string);
    expect(retentionDueAt).toBeGreaterThan(Date.now());

    // Without a hold: erased automatically, by retention.
    const erased = await callback(free, 'onboarding.erased');
    const record = await erasureRecord(erased.event.erasure?.erasureId as string, 'completed');
    expect(record).toMatchObject({ customerId: free, trigger: 'retention', requestedBy: 'retention' });
    await recordHistoryIfAsked(
      'erasure-by-retention',
      env.client.workflow.getHandle(`erasure-${record.erasureId}`),
    );
    expect(await store.list(`${free}/`)).toEqual([]);

    // With a hold: past its due time nothing happens, and an erasure request is refused.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, retentionDueAt - Date.now()) + 2_000));
    expect(
      env.callbacks.forCustomer(held).some((received) => received.event.type === 'onboarding.erased'),
    ).toBe(false);
    expect((await store.list(`${held}/`)).length).toBeGreaterThan(0);
    const refused = await ops(request(env.app).delete(`/v1/onboardings/${held}`));
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('legal_hold');

    await recordHistoryIfAsked(
      'aftercare-legal-hold-past-retention',
      env.client.workflow.getHandle(aftercareWorkflowId(held)),
    );
    // Lifted: the retention that came due proceeds.
    const lifted = await ops(request(env.app).put(`/v1/onboardings/${held}/legal-hold`)).send({ on: false });
    expect(lifted.status).toBe(200);
    const heldErased = await callback(held, 'onboarding.erased');
    await erasureRecord(heldErased.event.erasure?.erasureId as string, 'completed');
    expect(await store.list(`${held}/`)).toEqual([]);
  });

  it('ends an open onboarding, joins a repeated request, refuses a hold while it runs', async () => {
    const customerId = uniqueCustomerId('open');
    const link = await start(customerId);
    // Ondato unavailable for redactions: the erasure waits in its redaction step.
    await env.control.setFault({ route: 'redactIdv', mode: 'status', status: 503 });
    let erasureId: string;
    try {
      const first = await ops(request(env.app).delete(`/v1/onboardings/${customerId}`));
      expect(first.status).toBe(202);
      erasureId = first.body.erasureId as string;
      const again = await ops(request(env.app).delete(`/v1/onboardings/${customerId}`));
      expect(again.status).toBe(202);
      expect(again.body).toMatchObject({ erasureId, joined: true, status: 'running' });

      const hold = await ops(request(env.app).put(`/v1/onboardings/${customerId}/legal-hold`)).send({
        on: true,
      });
      expect(hold.status).toBe(409);
      expect(hold.body.error.code).toBe('erasure_in_progress');

      const running = await ops(request(env.app).get(`/v1/erasures/${erasureId}`));
      expect(running.status).toBe(200);
      expect(running.body).toMatchObject({ status: 'running', customerId });
      await waitFor(async () => {
        const onboarding = await env.client.workflow.getHandle(link.workflowId, link.runId).describe();
        return onboarding.status.name === 'TERMINATED' ? true : undefined;
      });
      let reason = '';
      for (const event of (await env.client.workflow.getHandle(link.workflowId, link.runId).fetchHistory())
        .events ?? [])
        reason = event.workflowExecutionTerminatedEventAttributes?.reason ?? reason;
      expect(reason).toBe(`erasure ${erasureId}`);
    } finally {
      await env.control.clearFaults();
    }
    // Ondato back: the redaction goes through (at its next retry) and the erasure completes. No callback here:
    // the run never closed, so no callback URL reached aftercare, and this environment has no CALLBACK_URL.
    const record = await erasureRecord(erasureId, 'completed');
    expect(record.ondatoRedactionsRequested).toEqual([link.idvId]);
  });

  it('records a redaction Ondato refuses by its reason code', async () => {
    const customerId = uniqueCustomerId('refused');
    const link = await start(customerId);
    await env.control.setFault({ route: 'getIdv', mode: 'status', status: 404 });
    let erasureId: string;
    try {
      const erase = await ops(request(env.app).delete(`/v1/onboardings/${customerId}`));
      expect(erase.status).toBe(202);
      erasureId = erase.body.erasureId as string;
      await erasureRecord(erasureId, 'completed');
    } finally {
      await env.control.clearFaults();
    }
    const record = await erasureRecord(erasureId, 'completed');
    expect(record.ondatoRedactionsRequested).toEqual([]);
    expect(record.ondatoRedactionsRefused).toEqual([{ idvId: link.idvId, reason: 'NotFound' }]);
  });

  it('refuses unknown customers and erasures (404) and backend keys (403)', async () => {
    const unknown = await ops(request(env.app).delete(`/v1/onboardings/${uniqueCustomerId('nobody')}`));
    expect(unknown.status).toBe(404);
    const noHold = await ops(
      request(env.app).put(`/v1/onboardings/${uniqueCustomerId('nobody')}/legal-hold`),
    ).send({
      on: true,
    });
    expect(noHold.status).toBe(404);
    expect((await ops(request(env.app).get('/v1/erasures/00000000-no-such-erasure'))).status).toBe(404);
    const backend = await request(env.app)
      .delete(`/v1/onboardings/${uniqueCustomerId('x')}`)
      .set('Authorization', bearer());
    expect(backend.status).toBe(403);
  });
});
