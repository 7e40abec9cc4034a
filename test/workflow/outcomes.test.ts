/**
 * How a run ends without a human: Ondato approves or rejects, the IDV expires or is aborted, the customer
 * never finishes within the default 7 days. Also the documents (a few downloads at a time, a stable record) and
 * the failures: a backend that never takes the callback does not undo the decision; Ondato refusing the
 * verification fails the run fast with its failure type at the top.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  CustomerIdKey,
  DEFAULT_TIMEOUTS,
  FailureType,
  KycStatusKey,
  OndatoIdvIdKey,
  OnboardingStageKey,
  OutcomeKey,
} from '../../contract';
import {
  DAY,
  HOUR,
  inCustomerWait,
  startTestBed,
  keywordAttribute,
  stateOf,
  webhook,
  type TestBed,
} from './support/time-skipping-env';

let bed: TestBed;
beforeAll(async () => {
  bed = await startTestBed();
});
afterAll(async () => {
  await bed?.teardown();
});

describe('onboarding outcomes', () => {
  it('approves: customer link from update-with-start, documents stored, one completion callback', () =>
    bed.scenario(async ({ start, ondato, customerId, workflowId }) => {
      const { link, handle } = await start();
      expect(link).toMatchObject({
        workflowId,
        stage: 'awaiting_customer',
        idvId: ondato.idvId,
        customerUrl: `https://idv.example.test/?id=${ondato.idvId}`,
      });
      expect(link.outcome).toBeUndefined();
      expect(await keywordAttribute(handle, OnboardingStageKey)).toBe('awaiting_customer');
      expect(await keywordAttribute(handle, CustomerIdKey)).toBe(customerId);
      expect(await keywordAttribute(handle, OndatoIdvIdKey)).toBe(ondato.idvId);

      // Starting again joins the same run and hands out the same link, without a second verification.
      const runId = (await handle.describe()).runId;
      const again = await start();
      expect(again.link.customerUrl).toBe(link.customerUrl);
      expect((await again.handle.describe()).runId).toBe(runId);
      expect(ondato.calls.createVerification).toBe(1);

      ondato.customerFinishes();
      await webhook(handle, { deliveryId: 'd-1', idvId: ondato.idvId });
      const record = await handle.result();

      expect(record).toMatchObject({
        customerId,
        outcome: 'approved',
        reasons: ['ondato_approved'],
        idvId: ondato.idvId,
        kycId: ondato.kycId,
      });
      expect(record.policyVersion).toMatch(/^\d{4}-\d{2}-\d{2}\.\d+$/);
      expect(record.documents.map((document) => document.fileId)).toEqual([
        'f-doc-back',
        'f-doc-front',
        'f-selfie',
      ]);
      expect(ondato.callbacks).toHaveLength(1);
      expect(ondato.callbacks[0]).toMatchObject({
        type: 'onboarding.completed',
        outcome: 'approved',
        customerId,
        workflowId,
        idvId: ondato.idvId,
        kycId: ondato.kycId,
      });
      expect(ondato.callbacks[0].eventId).toBe(`${workflowId}/${runId}/onboarding.completed`);
      expect(await keywordAttribute(handle, OutcomeKey)).toBe('approved');
      expect(await keywordAttribute(handle, KycStatusKey)).toBe('Approved');
      expect(await keywordAttribute(handle, OnboardingStageKey)).toBe('completed');
      const state = await stateOf(handle);
      expect(state).toMatchObject({ stage: 'completed', outcome: 'approved', idvStatus: 'Completed' });
      expect(state.timestamps.notifiedAt).toBeDefined();
    }));

  it('rejects with Ondato’s reason', () =>
    bed.scenario(async ({ start, ondato }) => {
      const { handle } = await start();
      ondato.customerFinishes({ status: 'Rejected', statusReason: 'DocumentDamaged' });
      await webhook(handle, { deliveryId: 'd-1', idvId: ondato.idvId });
      const record = await handle.result();

      expect(record.outcome).toBe('rejected');
      expect(record.reasons).toEqual(['ondato_rejected:DocumentDamaged']);
      expect(ondato.callbacks).toMatchObject([{ type: 'onboarding.completed', outcome: 'rejected' }]);
      expect(await keywordAttribute(handle, KycStatusKey)).toBe('Rejected');
    }));

  it.each([
    { idvStatus: 'Expired', outcome: 'expired', reason: 'ondato_idv_expired' },
    { idvStatus: 'Aborted', outcome: 'abandoned', reason: 'ondato_idv_aborted' },
  ] as const)('ends as $outcome when Ondato reports the IDV $idvStatus', ({ idvStatus, outcome, reason }) =>
    bed.scenario(async ({ start, ondato }) => {
      const { handle } = await start();
      await inCustomerWait(handle);
      ondato.idvStatus = idvStatus;
      // A status that ends the session is checked with Ondato before the run acts on it.
      await webhook(handle, {
        deliveryId: 'd-1',
        type: 'IdentityVerification.StatusChanged',
        idvId: ondato.idvId,
        hint: { status: idvStatus },
      });
      const record = await handle.result();
      expect(ondato.calls.getVerification).toBe(1);

      expect(record.outcome).toBe(outcome);
      expect(record.reasons).toEqual([reason]);
      expect(record.kycId).toBeUndefined();
      expect(record.documents).toEqual([]);
      expect(ondato.calls.getIdentification).toBe(0);
      expect(ondato.calls.storeDocument).toBe(0);
      expect(ondato.callbacks).toMatchObject([{ type: 'onboarding.completed', outcome }]);
      expect(await keywordAttribute(handle, OutcomeKey)).toBe(outcome);
    }),
  );

  it('expires with customer_deadline_passed when the customer does not finish within the default 7 days', () =>
    bed.scenario(async ({ start, ondato, env: testEnv }) => {
      expect(DEFAULT_TIMEOUTS.customerDeadlineMs).toBe(7 * DAY);
      const { handle } = await start(); // no timeouts in the input: the defaults apply
      const startedAt = Date.parse((await stateOf(handle)).timestamps.startedAt);

      // An hour before the deadline the run is still waiting, and has been polling all along.
      await testEnv.sleep(7 * DAY - HOUR);
      const waiting = await stateOf(handle);
      expect(waiting.stage).toBe('awaiting_customer');
      expect(waiting.outcome).toBeUndefined();
      expect(ondato.calls.getVerification).toBeGreaterThan(
        (7 * DAY - 2 * HOUR) / DEFAULT_TIMEOUTS.pollIntervalMs,
      );

      const record = await handle.result();
      expect(record.outcome).toBe('expired');
      expect(record.reasons).toEqual(['customer_deadline_passed']);
      const decidedAfter = Date.parse(record.timestamps.decidedAt as string) - startedAt;
      expect(decidedAfter).toBeGreaterThanOrEqual(7 * DAY);
      expect(decidedAfter).toBeLessThan(7 * DAY + DEFAULT_TIMEOUTS.pollIntervalMs);
      // One check per poll interval, the last at the deadline; none when the wait began on the new IDV (a run
      // that checked then would count polls + 1). One fewer only if checks took over a second of workflow time.
      const polls = (7 * DAY) / DEFAULT_TIMEOUTS.pollIntervalMs;
      expect(ondato.calls.getVerification).toBeGreaterThanOrEqual(polls - 1);
      expect(ondato.calls.getVerification).toBeLessThanOrEqual(polls);
      expect(ondato.calls.getIdentification).toBe(0);
      // The default reminders (a day after the link, a day before the deadline) went out while it waited.
      expect(ondato.callbacks).toMatchObject([
        { type: 'onboarding.reminder_due', reminder: { number: 1 } },
        { type: 'onboarding.reminder_due', reminder: { number: 2 } },
        { type: 'onboarding.completed', outcome: 'expired' },
      ]);
    }));
});

describe('documents', () => {
  it('downloads at most 3 files at once and records them sorted by key', () =>
    bed.scenario(async ({ start, ondato }) => {
      // Seven files, listed out of order, each taking long enough (real time) for downloads to overlap; the
      // first listed takes longest, so downloads finish out of key order.
      const fileIds = ['f-7', 'f-3', 'f-5', 'f-1', 'f-6', 'f-2', 'f-4'];
      ondato.kyc.files = fileIds.map((fileId) => ({ fileId, part: 'FrontSide', fileType: 'DocumentPhoto' }));
      fileIds.forEach((fileId, index) => (ondato.downloadDelayMs[fileId] = index === 0 ? 400 : 150));
      const { handle } = await start();
      ondato.customerFinishes();
      await webhook(handle, { deliveryId: 'd-1', idvId: ondato.idvId });
      const record = await handle.result();

      expect(record.outcome).toBe('approved');
      expect(ondato.calls.storeDocument).toBe(7);
      expect(ondato.maxDownloadsInFlight).toBe(3);
      expect(ondato.downloadsFinished).not.toEqual([...fileIds].sort());
      const keys = record.documents.map((document) => document.key);
      expect(keys).toEqual(
        fileIds.map((fileId) => `${ondato.customerId}/${ondato.kycId}/${fileId}.jpg`).sort(),
      );
      expect((await stateOf(handle)).documents.map((document) => document.key)).toEqual(keys);
    }));
});

describe('failures', () => {
  it('keeps the decision when the backend refuses callbacks for a whole day, and records the error', () =>
    bed.scenario(async ({ start, ondato }) => {
      ondato.failures.notifyBackend = () =>
        ApplicationFailure.retryable('backend answered 503', FailureType.CallbackUnavailable);
      const { handle } = await start();
      ondato.customerFinishes();
      await webhook(handle, { deliveryId: 'd-1', idvId: ondato.idvId });
      const record = await handle.result();

      expect(record.outcome).toBe('approved');
      expect(record.reasons).toEqual(['ondato_approved']);
      // Retried with backoff until the 24-hour schedule-to-close timeout of the callback gave up.
      expect(ondato.calls.notifyBackend).toBeGreaterThan(100);
      const retriedFor =
        Date.parse(record.timestamps.completedAt as string) -
        Date.parse(record.timestamps.decidedAt as string);
      expect(retriedFor).toBeGreaterThan(23 * HOUR);
      const state = await stateOf(handle);
      expect(state).toMatchObject({ outcome: 'approved', stage: 'completed' });
      expect(state.lastError).toMatch(/^callback failed: /);
      expect(state.timestamps.notifiedAt).toBeUndefined();
      expect(await keywordAttribute(handle, OutcomeKey)).toBe('approved');
    }));

  it('fails the run with OndatoRequestRejected at the top when Ondato refuses the verification', () =>
    bed.scenario(async ({ start, ondato, workflowId }) => {
      const ondatoDetail = {
        status: 400,
        reason: 'ValidationFailed',
        params: { 'registration.phoneNumber': [{ reason: 'Invalid' }] },
      };
      ondato.failures.createVerification = () =>
        ApplicationFailure.create({
          type: FailureType.OndatoRequestRejected,
          message: 'Ondato answered 400',
          nonRetryable: true,
          details: [ondatoDetail],
        });
      // The start call still returns (without a URL, with the failure) instead of hanging until some timeout.
      const { link, handle } = await start();
      expect(link).toMatchObject({
        workflowId,
        stage: 'creating_verification',
        failure: {
          type: FailureType.OndatoRequestRejected,
          stage: 'creating_verification',
          ondatoStatus: 400,
          ondatoReason: 'ValidationFailed',
          fields: { 'registration.phoneNumber': ['Invalid'] },
        },
      });
      expect(link.customerUrl).toBeUndefined();

      const failure = await handle.result().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(WorkflowFailedError);
      const top = (failure as WorkflowFailedError).cause;
      expect(top).toBeInstanceOf(ApplicationFailure);
      expect((top as ApplicationFailure).type).toBe(FailureType.OndatoRequestRejected);
      expect((top as ApplicationFailure).nonRetryable).toBe(true);
      expect(top?.message).toBe('createVerification failed: Ondato answered 400');
      expect((top as ApplicationFailure).details).toEqual([ondatoDetail]);
      expect(ondato.calls.createVerification).toBe(1); // not retried
      expect((await handle.describe()).status.name).toBe('FAILED');
      expect(ondato.callbacks).toMatchObject([
        {
          type: 'onboarding.failed',
          failure: { type: FailureType.OndatoRequestRejected, stage: 'creating_verification' },
        },
      ]);
      expect(ondato.callbacks[0].outcome).toBeUndefined();
    }));
});
