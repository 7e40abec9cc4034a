/**
 * The failure policy on the real dev server, the real activities and the simulator: once the customer has
 * finished, a step that gives up parks the run (needs_attention) instead of failing it, tells the backend, keeps
 * the run's ids, and the step runs again when ops resume it or when the retry timer fires.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import {
  FailureType,
  getStateQuery,
  onboardingWorkflowId,
  resumeSignal,
  resumeUpdate,
  submitReviewUpdate,
  type OnboardingState,
  type OnboardingWorkflow,
} from '../../contract';
import { recordHistoryIfAsked } from '../helpers/histories';
import { createOnboardingTestEnv, type OnboardingTestEnv } from '../helpers/onboarding-env';
import { waitFor } from '../helpers/wait-for';

jest.setTimeout(90_000);

describe('parking instead of failing', () => {
  let env: OnboardingTestEnv;

  beforeAll(async () => {
    // Credentials refused for more than a second count as "still refused": parks come in seconds.
    env = await createOnboardingTestEnv({ env: { ONDATO_AUTH_RETRY_WINDOW_MS: '1000' } });
  });
  afterAll(async () => {
    await env?.close();
  });
  afterEach(async () => {
    await env.control.clearFaults();
  });

  async function parked(query: () => Promise<OnboardingState>): Promise<OnboardingState> {
    return waitFor(async () => {
      const state = await query();
      return state.stage === 'needs_attention' ? state : undefined;
    });
  }

  it('parks on credentials refused after the customer finished, and completes once ops resume it', async () => {
    const { link, handle, customerId } = await env.start({ timeouts: { parkedRetryMs: 600_000 } });
    await env.control.setFault({ route: 'getKyc', mode: 'status', status: 401 });
    await env.control.complete(link.idvId as string, { outcome: 'approved' });

    const state = await parked(() => handle.query(getStateQuery));
    expect(state.attention).toMatchObject({
      reason: FailureType.OndatoAuthFailed,
      step: 'fetching_results',
      ondatoStatus: 401,
    });
    // The run keeps the customer's verification: same IDV, KYC id known.
    expect(state.idvId).toBe(link.idvId);
    expect(state.kycId).toBeDefined();
    const notice = await waitFor(async () =>
      env.callbacks
        .forCustomer(customerId)
        .find((callback) => callback.event.type === 'onboarding.needs_attention'),
    );
    expect(notice.event.attention).toEqual({
      reason: FailureType.OndatoAuthFailed,
      step: 'fetching_results',
    });
    expect(notice.signatureValid).toBe(true);

    // Ops fix the credentials, then resume: the failed step runs again.
    await env.control.clearFaults();
    const resumed = await handle.executeUpdate(resumeUpdate, { args: [{ requestedBy: 'ops-7' }] });
    expect(resumed.stage).not.toBe('needs_attention');
    const record = await handle.result();
    expect(record.outcome).toBe('approved');
    const final = await handle.query(getStateQuery);
    expect(final.resumes).toEqual([
      expect.objectContaining({
        requestedBy: 'ops-7',
        step: 'fetching_results',
        reason: FailureType.OndatoAuthFailed,
      }),
    ]);
    const completed = env.callbacks
      .forCustomer(customerId)
      .filter((callback) => callback.event.type === 'onboarding.completed');
    expect(completed).toHaveLength(1);
    expect(completed[0].event.outcome).toBe('approved');
    await recordHistoryIfAsked('parked-then-resumed-by-ops', handle);
  });

  it('refuses a resume when nothing is parked, and ignores the UI signal then', async () => {
    const { handle } = await env.start({});
    const refused = await handle.executeUpdate(resumeUpdate, { args: [{ requestedBy: 'ops-7' }] }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeDefined();
    expect(String((refused as Error).cause ?? refused)).toMatch(/not parked/);
    await handle.signal(resumeSignal, { requestedBy: 'ops-7' });
    const state = await handle.query(getStateQuery);
    expect(state.stage).toBe('awaiting_customer');
    expect(state.resumes).toBeUndefined();
    await handle.terminate('test cleanup');
  });

  it('resumes by itself after parkedRetryMs, and from the UI signal', async () => {
    const { link, handle } = await env.start({ timeouts: { parkedRetryMs: 1_500 } });
    await env.control.setFault({ route: 'downloadFile', mode: 'status', status: 403 });
    await env.control.complete(link.idvId as string, { outcome: 'approved' });
    const first = await parked(() => handle.query(getStateQuery));
    expect(first.attention).toMatchObject({
      reason: FailureType.OndatoAuthFailed,
      step: 'storing_documents',
    });
    // Still refused when the timer fires: the step parks again. Then the UI signal resumes it after the fix.
    await waitFor(async () => {
      const state = await handle.query(getStateQuery);
      return (state.resumes?.length ?? 0) >= 1 && state.stage === 'needs_attention' ? state : undefined;
    });
    await env.control.clearFaults();
    await handle.signal(resumeSignal, { requestedBy: 'ops-ui' });
    const record = await handle.result();
    expect(record.outcome).toBe('approved');
    const final = await handle.query(getStateQuery);
    expect(final.resumes?.[0].requestedBy).toBe('timer');
    expect(final.resumes?.map((resume) => resume.requestedBy)).toContain('ops-ui');
    expect(record.documents.length).toBeGreaterThan(0);
    await recordHistoryIfAsked('parked-twice-timer-then-signal', handle);
  });

  it('a run closed by hand after storing documents is taken over: same verification, same files, none orphaned', async () => {
    const customerId = `c-orphan-${Date.now()}`;
    const { link, handle } = await env.start({ customerId });
    await env.control.complete(link.idvId as string, {
      outcome: 'approved',
      rules: [{ name: 'SelfieAndDocumentFacesMatch', status: 'Fail' }],
    });
    const inReview = await waitFor(async () => {
      const state = await handle.query(getStateQuery);
      return state.stage === 'manual_review' ? state : undefined;
    });
    expect(inReview.documents.length).toBeGreaterThan(0);
    await handle.terminate('closed by hand while in review');

    // The next start takes over the finished verification instead of a new IDV: the customer does nothing.
    const again = await env.start({ customerId });
    expect(again.link.resumedFromKycId).toBe(inReview.kycId);
    expect(again.link.customerUrl).toBeNull();
    const next = env.client.workflow.getHandle<OnboardingWorkflow>(
      onboardingWorkflowId(customerId),
      again.link.runId,
    );
    await waitFor(async () =>
      (await next.query(getStateQuery)).stage === 'manual_review' ? true : undefined,
    );
    await next.executeUpdate(submitReviewUpdate, { args: [{ reviewerId: 'ops-7', decision: 'approved' }] });
    const record = await next.result();
    expect(record.outcome).toBe('approved');
    expect(record.idvId).toBe(link.idvId);
    // Same keys: the successor rewrote the same files, so nothing of the closed run is left unreferenced.
    expect(record.documents.map((document) => document.key).sort()).toEqual(
      inReview.documents.map((document) => document.key).sort(),
    );
    const onDisk = readdirSync(path.join(env.documentsDir, customerId), {
      recursive: true,
      withFileTypes: true,
    })
      .filter((entry) => entry.isFile())
      .map((entry) => path.relative(env.documentsDir, path.join(entry.parentPath, entry.name)))
      .sort();
    expect(onDisk).toEqual(record.documents.map((document) => document.key).sort());
    expect((await env.control.verifications({ externalReferenceId: customerId })).length).toBe(1);
  });

  it('still fails fast when Ondato refuses to create the verification, and tells the backend', async () => {
    await env.control.setFault({ route: 'createIdv', mode: 'status', status: 400, times: 1 });
    const customerId = `c-fail-${Date.now()}`;
    await env.start({ customerId }).catch(() => undefined);
    const failure = await env.client.workflow
      .getHandle(`onboarding-${customerId}`)
      .result()
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect(((failure as WorkflowFailedError).cause as ApplicationFailure).type).toBe(
      FailureType.OndatoRequestRejected,
    );
    const failed = env.callbacks
      .forCustomer(customerId)
      .filter((callback) => callback.event.type === 'onboarding.failed');
    expect(failed).toHaveLength(1);
    expect(failed[0].event.failure).toEqual({
      type: FailureType.OndatoRequestRejected,
      stage: 'creating_verification',
    });
  });
});
