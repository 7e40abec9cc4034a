/**
 * Storing documents (a few downloads at a time, a stable record) and what failures do: a backend that never
 * takes the callback does not undo the decision; Ondato refusing the verification fails the run fast with
 * Ondato's failure type at the top.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { FailureType, OutcomeKey } from '../../contract';
import {
  HOUR,
  createTimeSkippingEnv,
  keywordAttribute,
  stateOf,
  webhook,
  withScenario,
} from './support/time-skipping-env';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(async () => {
  await env?.teardown();
});

describe('documents', () => {
  it('downloads at most 3 files at once and records them sorted by key', () =>
    withScenario(env, async ({ start, ondato }) => {
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
    withScenario(env, async ({ start, ondato }) => {
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
    withScenario(env, async ({ start, ondato, workflowId }) => {
      ondato.failures.createVerification = () =>
        ApplicationFailure.create({
          type: FailureType.OndatoRequestRejected,
          message: 'Ondato answered 400: registration.phoneNumber is invalid',
          nonRetryable: true,
          details: [{ status: 400, field: 'registration.phoneNumber' }],
        });
      // The start call still returns (without a URL) instead of hanging until some timeout.
      const { link, handle } = await start();
      expect(link).toMatchObject({ workflowId, stage: 'creating_verification' });
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
      expect(top?.message).toMatch(/^createVerification failed: Ondato answered 400/);
      expect((top as ApplicationFailure).details).toEqual([
        { status: 400, field: 'registration.phoneNumber' },
      ]);
      expect(ondato.calls.createVerification).toBe(1); // not retried
      expect((await handle.describe()).status.name).toBe('FAILED');
    }));
});
