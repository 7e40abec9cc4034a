/**
 * The onboarding workflow end to end on the real dev server, the real activities and the Ondato simulator over
 * HTTP. Runs start through the API's OnboardingService; webhooks flow simulator → the API's relay → signal;
 * callbacks flow worker → a test receiver.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { ApiError } from '../../api/errors';
import { getStateQuery, onboardingWorkflowId, submitReviewUpdate, type DecisionRecord } from '../../contract';
import { recordHistoryIfAsked } from '../helpers/histories';
import { createOnboardingTestEnv, type OnboardingTestEnv } from '../helpers/onboarding-env';
import { waitFor } from '../helpers/wait-for';

jest.setTimeout(90_000);

async function sha256Of(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

describe('onboarding workflow', () => {
  let env: OnboardingTestEnv;

  beforeAll(async () => {
    env = await createOnboardingTestEnv();
  });
  afterAll(async () => {
    await env?.close();
  });
  afterEach(async () => {
    await env.control.clearFaults();
    await env.control.setWebhooks({ duplicate: false, reorder: false, drop: false });
  });

  async function expectStoredFilesIntact(record: DecisionRecord): Promise<void> {
    expect(record.documents.length).toBeGreaterThan(0);
    for (const document of record.documents) {
      // Read back through the store (decrypted, authenticated); the reference describes the original bytes.
      expect(await sha256Of(await env.documents.get(document.key))).toBe(document.sha256);
      // At rest the file is ciphertext, not the document.
      expect(await sha256Of(createReadStream(path.join(env.documentsDir, document.key)))).not.toBe(
        document.sha256,
      );
      expect(document.key).not.toMatch(/Ona|Petrait|4880229/); // references carry ids, not personal data
    }
  }

  it('approves a customer Ondato approved, stores the files and calls the backend once', async () => {
    const { link, handle, customerId } = await env.start({});
    expect(link.customerUrl).toBe(`${env.config.ondato.hosts.webFlowUrl}/?id=${link.idvId}`);
    expect(link.stage).toBe('awaiting_customer');

    await env.control.complete(link.idvId as string, { outcome: 'approved' });
    const record = await handle.result();

    expect(record.outcome).toBe('approved');
    expect(record.reasons).toEqual(['ondato_approved']);
    expect(record.policyVersion).toMatch(/^\d{4}-\d{2}-\d{2}\.\d+$/);
    expect(record.kycId).toBeDefined();
    await expectStoredFilesIntact(record);
    const callbacks = env.callbacks.forCustomer(customerId);
    expect(callbacks).toHaveLength(1);
    expect(callbacks[0]).toMatchObject({
      signatureValid: true,
      event: { type: 'onboarding.completed', outcome: 'approved' },
    });
    expect(JSON.stringify(callbacks[0].event)).not.toContain('Petrait');
    await recordHistoryIfAsked('approved', handle);
  });

  it('rejects with Ondato’s reason', async () => {
    const { link, handle, customerId } = await env.start({});
    await env.control.complete(link.idvId as string, {
      outcome: 'rejected',
      statusReason: 'PoorPhotoQuality',
    });
    const record = await handle.result();
    expect(record.outcome).toBe('rejected');
    expect(record.reasons).toEqual(['ondato_rejected:PoorPhotoQuality']);
    expect(env.callbacks.forCustomer(customerId).map((callback) => callback.event.outcome)).toEqual([
      'rejected',
    ]);
    await recordHistoryIfAsked('rejected', handle);
  });

  it('waits while Ondato reviews (Awaiting) and approves when Ondato does', async () => {
    const { link, handle } = await env.start({});
    const completed = await env.control.complete(link.idvId as string, { outcome: 'awaiting' });
    await waitFor(async () =>
      (await handle.query(getStateQuery)).stage === 'awaiting_ondato_review' ? true : undefined,
    );

    await env.control.decide(completed.kycId as string, { status: 'Approved' });
    const record = await handle.result();
    expect(record.outcome).toBe('approved');
    await recordHistoryIfAsked('awaiting-then-approved', handle);
  });

  it('sends a doubtful result to manual review, escalates, and lets ops decide', async () => {
    const { link, handle, customerId } = await env.start({
      timeouts: { manualReviewEscalationMs: 1_000 },
    });
    await env.control.complete(link.idvId as string, {
      outcome: 'approved',
      rules: [{ name: 'SelfieAndDocumentFacesMatch', status: 'Fail' }],
    });
    await waitFor(async () =>
      (await handle.query(getStateQuery)).stage === 'manual_review' ? true : undefined,
    );
    const inReview = await handle.query(getStateQuery);
    expect(inReview.outcome).toBe('manual_review');
    expect(inReview.reasons).toEqual(['rule_failed:SelfieAndDocumentFacesMatch']);

    // An invalid decision is refused by the validator and leaves no trace in history.
    await expect(
      handle.executeUpdate(submitReviewUpdate, { args: [{ reviewerId: '', decision: 'approved' }] }),
    ).rejects.toBeInstanceOf(WorkflowUpdateFailedError);

    await waitFor(async () =>
      env.callbacks
        .forCustomer(customerId)
        .some((callback) => callback.event.type === 'onboarding.review_escalated')
        ? true
        : undefined,
    );
    const reviewed = await handle.executeUpdate(submitReviewUpdate, {
      args: [{ reviewerId: 'ops-anna', decision: 'approved', note: 'face match checked by hand' }],
    });
    expect(reviewed.review).toMatchObject({ reviewerId: 'ops-anna', decision: 'approved' });

    const record = await handle.result();
    expect(record.outcome).toBe('approved');
    expect(record.reasons).toEqual(['rule_failed:SelfieAndDocumentFacesMatch', 'ops_approved:ops-anna']);
    expect(record.timestamps.escalatedAt).toBeDefined();
    expect(env.callbacks.forCustomer(customerId).map((callback) => callback.event.type)).toEqual([
      'onboarding.review_escalated',
      'onboarding.completed',
    ]);
    await recordHistoryIfAsked('manual-review', handle);
  });

  it('expires when the customer never finishes', async () => {
    const { handle, customerId } = await env.start({ timeouts: { customerDeadlineMs: 1_500 } });
    const record = await handle.result();
    expect(record.outcome).toBe('expired');
    expect(record.reasons).toEqual(['customer_deadline_passed']);
    expect(env.callbacks.forCustomer(customerId).map((callback) => callback.event.outcome)).toEqual([
      'expired',
    ]);
    await recordHistoryIfAsked('expired', handle);
  });

  it('ends as abandoned when the customer aborts', async () => {
    const { link, handle } = await env.start({});
    await env.control.complete(link.idvId as string, { outcome: 'aborted' });
    const record = await handle.result();
    expect(record.outcome).toBe('abandoned');
    expect(record.reasons).toEqual(['ondato_idv_aborted']);
  });

  it('completes by polling when every webhook is lost', async () => {
    await env.control.setWebhooks({ drop: true });
    const { link, handle } = await env.start({ timeouts: { pollIntervalMs: 500 } });
    const relayedBefore = env.relay.relayed.length;
    await env.control.complete(link.idvId as string, { outcome: 'approved' });
    const record = await handle.result();
    expect(record.outcome).toBe('approved');
    expect(env.relay.relayed.length).toBe(relayedBefore);
    expect((await handle.query(getStateQuery)).webhooksReceived).toBe(0);
    await recordHistoryIfAsked('webhooks-lost', handle);
  });

  it('decides once and calls back once despite duplicate, reordered webhooks', async () => {
    await env.control.setWebhooks({ duplicate: true, reorder: true });
    const { link, handle, customerId } = await env.start({});
    await env.control.complete(link.idvId as string, { outcome: 'approved' });
    const record = await handle.result();
    expect(record.outcome).toBe('approved');

    const relayed = await waitFor(async () => {
      const mine = env.relay.relayed.filter((delivery) => delivery.customerId === customerId);
      return mine.length >= 2 ? mine : undefined;
    });
    const uniqueDeliveries = new Set(relayed.map((delivery) => delivery.deliveryId)).size;
    expect(relayed.length).toBeGreaterThan(uniqueDeliveries); // duplicates did arrive
    const state = await handle.query(getStateQuery);
    expect(state.webhooksReceived).toBeLessThanOrEqual(uniqueDeliveries);
    expect(env.callbacks.forCustomer(customerId)).toHaveLength(1);
    await recordHistoryIfAsked('duplicate-webhooks', handle);
  });

  it('retries through bursts of Ondato 5xx and 429 and completes', async () => {
    // Webhooks lost, so the run polls the IDV (a webhook saying Completed would spare that fetch and its faults).
    await env.control.setWebhooks({ drop: true });
    const { link, handle } = await env.start({ timeouts: { pollIntervalMs: 500 } });
    await env.control.setFault({ route: 'getIdv', mode: 'status', status: 503, times: 2 });
    await env.control.setFault({ route: 'getKyc', mode: 'retryAfter', retryAfterSeconds: 1, times: 2 });
    await env.control.setFault({ route: 'downloadFile', mode: 'status', status: 502, times: 2 });
    await env.control.complete(link.idvId as string, { outcome: 'approved' });
    const record = await handle.result();
    expect(record.outcome).toBe('approved');
    await expectStoredFilesIntact(record);
    // Every injected failure was hit, so each call above really went through its retries.
    expect((await env.control.faults()).map((fault) => [fault.route, fault.hits, fault.remaining])).toEqual([
      ['getIdv', 2, 0],
      ['getKyc', 2, 0],
      ['downloadFile', 2, 0],
    ]);
    await recordHistoryIfAsked('ondato-bursts', handle);
  });

  it('fails with OndatoRequestRejected when Ondato refuses to create the verification', async () => {
    await env.control.setFault({ route: 'createIdv', mode: 'status', status: 400, times: 1 });
    const customerId = `c-${randomUUID().slice(0, 8)}`;
    // The API's start answers with Ondato's refusal (502) instead of a URL.
    const refusal = await env.start({ customerId }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(ApiError);
    expect({ status: (refusal as ApiError).status, code: (refusal as ApiError).code }).toEqual({
      status: 502,
      code: 'ondato_rejected',
    });
    const failure = await env.client.workflow
      .getHandle(onboardingWorkflowId(customerId))
      .result()
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const cause = (failure as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe('OndatoRequestRejected');
    expect((cause as ApplicationFailure).message).toContain('createVerification');
  });
});
