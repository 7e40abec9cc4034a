/**
 * Ending a run before it decides: the ops cancel update (refused once a decision exists) and a Temporal
 * cancellation from a client or the UI. Either way the backend still gets its completion callback.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { cancelUpdate, OutcomeKey } from '../../contract';
import {
  createTimeSkippingEnv,
  keywordAttribute,
  stateOf,
  stateWhen,
  webhook,
  withScenario,
  type OnboardingHandle,
  type Scenario,
} from './support/time-skipping-env';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(async () => {
  await env?.teardown();
});

/**
 * Waits until the first check has returned, so no activity is in flight when the test cancels. The Java test
 * server (1.32.1) can deadlock a run when an activity completes while the workflow task that cancels it is out
 * (about half the time with a cancel update sent right after the start); the dev server does not.
 */
async function awaitingCustomer({ start }: Scenario): Promise<OnboardingHandle> {
  const { handle } = await start();
  await stateWhen(handle, (state) => state.idvStatus === 'Started', 'the first check');
  return handle;
}

async function inManualReview({ start, ondato }: Scenario): Promise<OnboardingHandle> {
  const { handle } = await start();
  ondato.customerFinishes({ rules: [{ name: 'Liveness', status: 'Failed' }] });
  await webhook(handle, { deliveryId: 'd-1', idvId: ondato.idvId });
  await stateWhen(handle, (state) => state.stage === 'manual_review', 'manual review');
  return handle;
}

describe('cancellation', () => {
  it.each([
    { stage: 'awaiting_customer', reach: awaitingCustomer },
    { stage: 'manual_review', reach: inManualReview },
  ])('the cancel update ends a run in $stage as cancelled and tells the backend', ({ reach }) =>
    withScenario(env, async (scenario) => {
      const { ondato } = scenario;
      const handle = await reach(scenario);
      const cancelled = await handle.executeUpdate(cancelUpdate, {
        args: [{ requestedBy: 'ops-eve', reason: 'duplicate account' }],
      });
      expect(cancelled.outcome).toBe('cancelled');

      const record = await handle.result();
      expect(record.outcome).toBe('cancelled');
      expect(record.reasons).toEqual(['cancelled_by:ops-eve', 'cancel_reason:duplicate account']);
      expect(ondato.callbacks).toMatchObject([{ type: 'onboarding.completed', outcome: 'cancelled' }]);
      expect(await keywordAttribute(handle, OutcomeKey)).toBe('cancelled');
      expect((await handle.describe()).status.name).toBe('COMPLETED');
    }),
  );

  it('refuses the cancel update once a decision exists (here: while the backend is being notified)', () =>
    withScenario(env, async ({ start, ondato }) => {
      const { handle } = await start();
      const notifying = ondato.hold('notifyBackend');
      ondato.customerFinishes();
      await webhook(handle, { deliveryId: 'd-1', idvId: ondato.idvId });
      await notifying.entered;
      expect(await stateOf(handle)).toMatchObject({ stage: 'notifying', outcome: 'approved' });

      const refusal = await handle.executeUpdate(cancelUpdate, { args: [{ requestedBy: 'ops-eve' }] }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refusal).toBeInstanceOf(WorkflowUpdateFailedError);
      expect((refusal as WorkflowUpdateFailedError).cause?.message).toMatch(
        /can no longer be cancelled \(outcome: approved\)/,
      );

      notifying.release();
      const record = await handle.result();
      expect(record.outcome).toBe('approved');
      expect(ondato.callbacks).toMatchObject([{ type: 'onboarding.completed', outcome: 'approved' }]);
    }));

  it('refuses a cancel update without requestedBy', () =>
    withScenario(env, async ({ start }) => {
      const { handle } = await start();
      const refusal = await handle.executeUpdate(cancelUpdate, { args: [{ requestedBy: '' }] }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect((refusal as WorkflowUpdateFailedError).cause?.message).toMatch(/requestedBy is required/);
      expect((await stateOf(handle)).stage).toBe('awaiting_customer');
    }));

  it('a Temporal cancellation (client or UI) records outcome cancelled and tells the backend', () =>
    withScenario(env, async (scenario) => {
      const { ondato } = scenario;
      const handle = await awaitingCustomer(scenario);
      await handle.cancel();
      await ondato.until((fake) => fake.callbacks.length === 1, 'the completion callback');
      expect(ondato.callbacks).toMatchObject([
        { type: 'onboarding.completed', outcome: 'cancelled', reasons: ['cancelled'] },
      ]);
      await handle.result().catch(() => undefined); // let the run close (see the next test)
      expect(await stateOf(handle)).toMatchObject({
        stage: 'completed',
        outcome: 'cancelled',
        reasons: ['cancelled'],
      });
      expect(await keywordAttribute(handle, OutcomeKey)).toBe('cancelled');
    }));

  // Known defect, kept visible: after the callback, `await condition(allHandlersFinished)` runs in the cancelled
  // root scope and throws, so the execution ends CANCELLED without its decision record (same on the dev
  // server). When the workflow is fixed this starts failing: turn it into a plain `it`.
  it.failing('a Temporal cancellation then completes the run with its decision record', () =>
    withScenario(env, async (scenario) => {
      const handle = await awaitingCustomer(scenario);
      await handle.cancel();
      const record = await handle.result();
      expect(record.outcome).toBe('cancelled');
      expect(record.reasons).toEqual(['cancelled']);
      expect((await handle.describe()).status.name).toBe('COMPLETED');
    }),
  );
});
