/**
 * Once the customer has a link, no failing step ends the run: it parks in `needs_attention` (ids kept, the
 * backend told) and the step runs again on an ops resume (update, or the UI's signal) or by itself after the
 * default hour. And a retry that takes over an earlier run's finished verification instead of a new one.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  DEFAULT_TIMEOUTS,
  FailureType,
  OnboardingStageKey,
  resumeSignal,
  resumeUpdate,
  type ResumeInput,
} from '../../contract';
import {
  HOUR,
  inCustomerWait,
  MINUTE,
  startTestBed,
  keywordAttribute,
  stateOf,
  stateWhen,
  webhook,
  type OnboardingHandle,
  type TestBed,
} from './support/time-skipping-env';

let bed: TestBed;
beforeAll(async () => {
  bed = await startTestBed();
});
afterAll(async () => {
  await bed?.teardown();
});

/** What an Ondato activity throws once it gives up on refused credentials. */
function credentialsRefused(): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureType.OndatoAuthFailed,
    message: 'Ondato refused our credentials (403)',
    nonRetryable: true,
    details: [{ status: 403, reason: 'Forbidden' }],
  });
}

function ondatoNotFound(): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureType.OndatoRequestRejected,
    message: 'Ondato answered 404',
    nonRetryable: true,
    details: [{ status: 404 }],
  });
}

async function refusedResume(handle: OnboardingHandle, request: ResumeInput): Promise<string | undefined> {
  const refusal = await handle.executeUpdate(resumeUpdate, { args: [request] }).then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(refusal).toBeInstanceOf(WorkflowUpdateFailedError);
  return (refusal as WorkflowUpdateFailedError).cause?.message;
}

describe('parking (needs_attention)', () => {
  it('parks when a step gives up after the customer has a link, tells the backend, and resumes on the ops update', () =>
    bed.scenario(async ({ start, ondato }) => {
      const { handle } = await start();
      ondato.failures.getIdentification = credentialsRefused;
      ondato.customerFinishes();
      await webhook(handle, { deliveryId: 'd-1', idvId: ondato.idvId });

      const parked = await stateWhen(handle, (state) => state.stage === 'needs_attention', 'the run to park');
      expect(parked.attention).toMatchObject({
        reason: FailureType.OndatoAuthFailed,
        step: 'fetching_results',
        ondatoStatus: 403,
        ondatoReason: 'Forbidden',
      });
      const attention = parked.attention as NonNullable<typeof parked.attention>;
      expect(Date.parse(attention.retryAt) - Date.parse(attention.since)).toBe(
        DEFAULT_TIMEOUTS.parkedRetryMs,
      );
      expect(parked).toMatchObject({ idvId: ondato.idvId, kycId: ondato.kycId });
      expect(parked.outcome).toBeUndefined();
      expect(parked.lastError).toBe(`getIdentification: ${FailureType.OndatoAuthFailed}`);
      expect(await keywordAttribute(handle, OnboardingStageKey)).toBe('needs_attention');
      await ondato.until((fake) => fake.callbacks.length === 1, 'the needs_attention callback');
      expect(ondato.callbacks[0]).toMatchObject({
        type: 'onboarding.needs_attention',
        attention: { reason: FailureType.OndatoAuthFailed, step: 'fetching_results' },
        kycId: ondato.kycId,
      });
      expect(ondato.callbacks[0].outcome).toBeUndefined();

      delete ondato.failures.getIdentification; // the secret was rotated
      const resumed = await handle.executeUpdate(resumeUpdate, {
        args: [{ requestedBy: 'ops-olga', note: 'secret rotated' }],
      });
      expect(resumed.stage).not.toBe('needs_attention');
      const record = await handle.result();
      expect(record.outcome).toBe('approved');
      const state = await stateOf(handle);
      expect(state.attention).toBeUndefined();
      expect(state.resumes).toMatchObject([
        {
          requestedBy: 'ops-olga',
          note: 'secret rotated',
          step: 'fetching_results',
          reason: FailureType.OndatoAuthFailed,
        },
      ]);
      expect(ondato.callbackTypes()).toEqual(['onboarding.needs_attention', 'onboarding.completed']);
    }));

  it('retries by itself after the default hour, parks again (a new event id), and resumes on the UI signal', () =>
    bed.scenario(async ({ start, ondato, env, workflowId }) => {
      expect(DEFAULT_TIMEOUTS.parkedRetryMs).toBe(HOUR);
      ondato.failures.getVerification = credentialsRefused;
      const { link, handle } = await start();
      expect(link.customerUrl).toBeDefined(); // the customer has a link: from here on, failures park
      await inCustomerWait(handle);
      expect(ondato.calls.getVerification).toBe(0); // a new IDV: nothing to check yet
      await webhook(handle, { deliveryId: 'd-1', idvId: ondato.idvId }); // no hint: the run checks
      await stateWhen(handle, (state) => state.stage === 'needs_attention', 'the run to park');
      const runId = (await handle.describe()).runId;

      await env.sleep(HOUR - MINUTE);
      expect(ondato.calls.getVerification).toBe(1);
      await env.sleep(2 * MINUTE);
      await ondato.until((fake) => fake.callbacks.length === 2, 'the second needs_attention callback');
      expect(ondato.calls.getVerification).toBe(2);
      expect(ondato.callbacks.map((event) => event.eventId)).toEqual([
        `${workflowId}/${runId}/onboarding.needs_attention`,
        `${workflowId}/${runId}/onboarding.needs_attention/2`,
      ]);
      const parkedAgain = await stateOf(handle);
      expect(parkedAgain.stage).toBe('needs_attention');
      expect(parkedAgain.resumes).toMatchObject([{ requestedBy: 'timer', step: 'awaiting_customer' }]);

      delete ondato.failures.getVerification;
      ondato.customerFinishes();
      await handle.signal(resumeSignal, { requestedBy: 'ops-in-the-ui' });
      await ondato.until((fake) => fake.calls.getVerification === 3, 'the resumed check');
      const record = await handle.result();
      expect(record.outcome).toBe('approved');
      expect((await stateOf(handle)).resumes?.map((resume) => resume.requestedBy)).toEqual([
        'timer',
        'ops-in-the-ui',
      ]);
    }));

  it('refuses the resume update when the run is not parked, or without requestedBy', () =>
    bed.scenario(async ({ start }) => {
      const { handle } = await start();
      await inCustomerWait(handle);
      expect(await refusedResume(handle, { requestedBy: 'ops-olga' })).toMatch(
        /not parked \(stage: awaiting_customer\)/,
      );
      expect(await refusedResume(handle, { requestedBy: ' ' })).toMatch(/requestedBy is required/);
      // The UI's signal is ignored when there is nothing to resume.
      await handle.signal(resumeSignal, { requestedBy: 'ops-in-the-ui' });
      const state = await stateOf(handle);
      expect(state.stage).toBe('awaiting_customer');
      expect(state.resumes).toBeUndefined();
    }));

  it('parks once when parallel downloads fail together, and stores every file after one resume', () =>
    bed.scenario(async ({ start, ondato }) => {
      ondato.failures.storeDocument = () =>
        ApplicationFailure.create({
          type: FailureType.DocumentStoreFailed,
          message: 'bucket refused the write',
          nonRetryable: true,
        });
      const { handle } = await start();
      ondato.customerFinishes();
      await webhook(handle, { deliveryId: 'd-1', idvId: ondato.idvId });
      await ondato.until((fake) => fake.calls.storeDocument === 3, 'the three downloads');
      const parked = await stateWhen(handle, (state) => state.stage === 'needs_attention', 'the run to park');
      expect(parked.attention).toMatchObject({
        reason: FailureType.DocumentStoreFailed,
        step: 'storing_documents',
      });

      delete ondato.failures.storeDocument;
      await handle.executeUpdate(resumeUpdate, { args: [{ requestedBy: 'ops-olga' }] });
      const record = await handle.result();
      expect(record.outcome).toBe('approved');
      expect(record.documents).toHaveLength(3);
      expect(ondato.calls.storeDocument).toBe(6);
      expect((await stateOf(handle)).resumes).toHaveLength(1);
      expect(ondato.callbackTypes()).toEqual(['onboarding.needs_attention', 'onboarding.completed']);
    }));
});

describe('takeover of an earlier verification (resumeFrom)', () => {
  it('fetches the earlier run’s identification instead of sending the customer through Ondato again', () =>
    bed.scenario(async ({ start, ondato }) => {
      ondato.customerFinishes(); // in the earlier run
      const { link, handle } = await start({ resumeFrom: { idvId: ondato.idvId, kycId: ondato.kycId } });
      expect(link).toMatchObject({ idvId: ondato.idvId, resumedFromKycId: ondato.kycId });
      expect(link.customerUrl).toBeUndefined();

      const record = await handle.result();
      expect(record).toMatchObject({ outcome: 'approved', idvId: ondato.idvId, kycId: ondato.kycId });
      expect(ondato.calls.createVerification).toBe(0);
      expect(ondato.calls.getVerification).toBe(0);
    }));

  it('starts a new verification when Ondato no longer has the earlier one (404)', () =>
    bed.scenario(async ({ start, ondato }) => {
      ondato.failures.getIdentification = () => {
        delete ondato.failures.getIdentification; // only the earlier identification is gone
        return ondatoNotFound();
      };
      const { link, handle } = await start({ resumeFrom: { idvId: 'idv-expired', kycId: 'kyc-expired' } });
      expect(link).toMatchObject({
        idvId: ondato.idvId,
        customerUrl: `https://idv.example.test/?id=${ondato.idvId}`,
      });
      expect(link.resumedFromKycId).toBeUndefined();
      expect(ondato.calls.createVerification).toBe(1);

      ondato.customerFinishes();
      await webhook(handle, { deliveryId: 'd-1', idvId: ondato.idvId });
      const record = await handle.result();
      expect(record).toMatchObject({ outcome: 'approved', idvId: ondato.idvId, kycId: ondato.kycId });
    }));
});
