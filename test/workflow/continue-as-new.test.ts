/**
 * Continue-as-new under signal pressure, on the time-skipping server: the continuation keeps the wait's
 * deadline as an instant (a flood of signals cannot extend how long the customer has), keeps the dedupe of
 * deliveries it carried, and an ops decision that arrives while the run is about to continue is taken, not lost.
 * Also: a webhook naming another IDV of ours gets that IDV looked into (redacted) without waking the check.
 */
import { getStateQuery, submitReviewUpdate, type OnboardingState } from '../../contract';
import {
  DAY,
  HOUR,
  startTestBed,
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

const BUDGET = 4;

describe('continue-as-new', () => {
  it('keeps the customer deadline across continuations: a flood does not extend it', () =>
    bed.scenario(async ({ start, ondato, env, workflowId }) => {
      const { handle, link } = await start({ signalBudget: BUDGET, timeouts: { customerDeadlineMs: DAY } });
      await ondato.until((fake) => fake.calls.getVerification === 1, 'the first check');
      await env.sleep(10 * HOUR);
      const latest: OnboardingHandle = env.client.workflow.getHandle(workflowId);
      for (let index = 0; index < 3 * BUDGET; index += 1) {
        await webhook(latest, { deliveryId: `d-${index % BUDGET}`, idvId: ondato.idvId });
      }
      const continued = await stateWhen(
        latest,
        (state) => (state.continuedRuns ?? 0) >= 1 && state.stage === 'awaiting_customer',
        'a continuation',
      );
      expect(continued.idvId).toBe(link.idvId);
      expect(continued.webhooksReceived).toBe(BUDGET);

      // The customer never finishes: the run expires a day after it started, not a day after the flood.
      const record = await handle.result();
      expect(record.outcome).toBe('expired');
      expect(record.reasons).toEqual(['customer_deadline_passed']);
      const took =
        Date.parse(record.timestamps.decidedAt as string) - Date.parse(record.timestamps.startedAt);
      expect(took).toBeGreaterThanOrEqual(DAY);
      expect(took).toBeLessThan(DAY + HOUR);
    }));

  it('in manual review: continues as new, keeps the escalation instant, and takes the ops decision', () =>
    bed.scenario(async ({ start, ondato, env, workflowId }) => {
      ondato.kyc = { ...ondato.kyc, rules: [{ name: 'FaceMatch', status: 'Fail' }] };
      const { handle } = await start({
        signalBudget: BUDGET,
        timeouts: { manualReviewEscalationMs: DAY },
      });
      ondato.customerFinishes();
      await webhook(handle, { deliveryId: 'finished', idvId: ondato.idvId });
      const latest: OnboardingHandle = env.client.workflow.getHandle(workflowId);
      const inReview = await stateWhen(latest, (state) => state.stage === 'manual_review', 'manual review');
      for (let index = 0; index < 2 * BUDGET; index += 1) {
        await webhook(latest, { deliveryId: `r-${index}` });
      }
      const continued = await stateWhen(
        latest,
        (state) => (state.continuedRuns ?? 0) >= 1 && state.stage === 'manual_review',
        'a continuation in review',
      );
      expect(continued.documents).toEqual(inReview.documents);
      expect(continued.reasons).toEqual(inReview.reasons);

      await env.sleep(DAY);
      await ondato.until(
        (fake) => fake.callbackTypes().includes('onboarding.review_escalated'),
        'the escalation',
      );
      const escalated: OnboardingState = await latest.query(getStateQuery);
      const escalatedAfter =
        Date.parse(escalated.timestamps.escalatedAt as string) - Date.parse(inReview.timestamps.startedAt);
      expect(escalatedAfter).toBeLessThan(DAY + HOUR);

      await latest.executeUpdate(submitReviewUpdate, {
        args: [{ reviewerId: 'ops-1', decision: 'rejected' }],
      });
      const record = await handle.result();
      expect(record.outcome).toBe('rejected');
      expect(ondato.callbackTypes().filter((type) => type === 'onboarding.completed')).toHaveLength(1);
      expect(ondato.callbackTypes().filter((type) => type === 'onboarding.review_escalated')).toHaveLength(1);
    }));

  it('a webhook for another IDV of ours gets it redacted and recorded, without waking the check', () =>
    bed.scenario(async ({ start, ondato }) => {
      const { handle } = await start();
      await ondato.until((fake) => fake.calls.getVerification === 1, 'the first check');
      await webhook(handle, { deliveryId: 'd-other', idvId: 'idv-extra' });
      const state = await stateWhen(
        handle,
        (current) => (current.extraVerifications ?? []).length === 1,
        'the extra recorded',
      );
      expect(ondato.redactions).toEqual(['idv-extra']);
      expect(state.extraVerifications).toEqual([
        expect.objectContaining({
          idvId: 'idv-extra',
          origin: 'webhook',
          disposition: 'redaction_requested',
        }),
      ]);
      // Again: already known, not redacted twice.
      await webhook(handle, { deliveryId: 'd-other-2', idvId: 'idv-extra' });
      expect((await stateOf(handle)).webhooksReceived).toBe(2);
      expect(ondato.redactions).toEqual(['idv-extra']);
      expect(ondato.calls.getVerification).toBe(1);
    }));
});
