/**
 * The ways an onboarding ends without a human: Ondato approves or rejects, the IDV expires or is aborted, the
 * customer never finishes within the default 7 days. Time-skipping server, stubbed activities.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  CustomerIdKey,
  DEFAULT_TIMEOUTS,
  KycStatusKey,
  OndatoIdvIdKey,
  OnboardingStageKey,
  OutcomeKey,
} from '../../contract';
import {
  DAY,
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

describe('onboarding outcomes', () => {
  it('approves: customer link from update-with-start, documents stored, one completion callback', () =>
    withScenario(env, async ({ start, ondato, customerId, workflowId }) => {
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
    withScenario(env, async ({ start, ondato }) => {
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
    withScenario(env, async ({ start, ondato }) => {
      const { handle } = await start();
      await ondato.until((fake) => fake.calls.getVerification === 1, 'the first check');
      ondato.idvStatus = idvStatus;
      await webhook(handle, {
        deliveryId: 'd-1',
        type: `IdentityVerification.${idvStatus}`,
        idvId: ondato.idvId,
      });
      const record = await handle.result();

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
    withScenario(env, async ({ start, ondato, env: testEnv }) => {
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
      // One check at the start, one per poll interval, one at the deadline.
      const polls = (7 * DAY) / DEFAULT_TIMEOUTS.pollIntervalMs;
      expect(ondato.calls.getVerification).toBeGreaterThanOrEqual(polls + 1);
      expect(ondato.calls.getVerification).toBeLessThanOrEqual(polls + 2);
      expect(ondato.calls.getIdentification).toBe(0);
      expect(ondato.callbacks).toMatchObject([{ type: 'onboarding.completed', outcome: 'expired' }]);
    }));
});
