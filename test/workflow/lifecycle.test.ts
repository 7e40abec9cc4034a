/**
 * The lifecycle around the customer's wait, on the time-skipping server: reminders at their offsets (and never
 * after the customer finished, after a cancel, or twice across continue-as-new), and a fresh link after Ondato
 * ended the session.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { cancelUpdate, OndatoIdvIdKey, relinkUpdate, type CallbackEvent } from '../../contract';
import {
  DAY,
  HOUR,
  inCustomerWait,
  keywordAttribute,
  MINUTE,
  startTestBed,
  stateOf,
  stateWhen,
  webhook,
  type OnboardingHandle,
  type TestBed,
} from './support/time-skipping-env';
import type { FakeOndato } from './support/fake-ondato';

let bed: TestBed;
beforeAll(async () => {
  bed = await startTestBed();
});
afterAll(async () => {
  await bed?.teardown();
});

function reminders(ondato: FakeOndato): CallbackEvent[] {
  return ondato.callbacks.filter((event) => event.type === 'onboarding.reminder_due');
}

/** Milliseconds from the link being issued to each reminder. */
async function reminderDelays(handle: OnboardingHandle, ondato: FakeOndato): Promise<number[]> {
  const issuedAt = Date.parse((await stateOf(handle)).timestamps.customerUrlIssuedAt as string);
  return reminders(ondato).map((event) => Date.parse(event.occurredAt) - issuedAt);
}

/**
 * Polls twice a day instead of every 15 minutes: nothing here depends on the poll, and each poll is a round trip
 * in real time, so days of skipped time at the default cost hundreds of them (over a minute on a loaded machine).
 */
const sparsePolls = { pollIntervalMs: 12 * HOUR };

const relinkGrace = { customerDeadlineMs: 7 * DAY, relinkGraceMs: 2 * DAY, ...sparsePolls };

async function expire(handle: OnboardingHandle, ondato: FakeOndato, status: 'Expired' | 'Aborted') {
  await inCustomerWait(handle);
  ondato.idvStatus = status;
  await webhook(handle, {
    deliveryId: `d-${status}`,
    type: `IdentityVerification.${status}`,
    idvId: ondato.idvId,
  });
  return stateWhen(handle, (state) => state.relinkOpenUntil !== undefined, 'the relink window');
}

describe('a fresh link after Ondato ended the session', () => {
  it('creates a new IDV in the same run, hands out its URL, ignores the old IDV and approves on the new one', () =>
    bed.scenario(async ({ start, ondato }) => {
      const { link, handle } = await start({ timeouts: relinkGrace });
      const oldIdvId = ondato.idvId;
      const waiting = await expire(handle, ondato, 'Expired');
      expect(waiting).toMatchObject({ stage: 'awaiting_customer', idvStatus: 'Expired' });
      expect(ondato.calls.getVerification).toBe(1); // the check the webhook triggered, none before it

      // Ondato's next session.
      const checksAtRelink = ondato.calls.getVerification;
      ondato.idvId = `${oldIdvId}-2`;
      ondato.idvStatus = 'Started';
      const relinked = await handle.executeUpdate(relinkUpdate, {
        args: [{ requestedBy: 'backend-1', expiredIdvId: oldIdvId }],
      });
      expect(relinked).toMatchObject({
        stage: 'awaiting_customer',
        idvId: ondato.idvId,
        customerUrl: `https://idv.example.test/?id=${ondato.idvId}`,
        createdIdvIds: [oldIdvId, ondato.idvId],
      });
      expect(relinked.customerUrl).not.toBe(link.customerUrl);
      expect(relinked.relinks).toMatchObject([
        {
          requestedBy: 'backend-1',
          replacedIdvId: oldIdvId,
          replacedIdvStatus: 'Expired',
          idvId: ondato.idvId,
        },
      ]);
      expect(ondato.calls.createVerification).toBe(2);
      expect(await keywordAttribute(handle, OndatoIdvIdKey)).toBe(ondato.idvId);

      // The start's join answers with the new link.
      const joined = await start({ timeouts: relinkGrace });
      expect(joined.link.customerUrl).toBe(relinked.customerUrl);
      expect(joined.link.idvId).toBe(ondato.idvId);

      // A late webhook for the old IDV changes nothing and is not taken for an extra to redact.
      await webhook(handle, {
        deliveryId: 'd-old',
        type: 'IdentityVerification.StatusChanged',
        idvId: oldIdvId,
      });
      const after = await stateWhen(handle, (state) => state.webhooksReceived === 2, 'the old webhook');
      expect(after).toMatchObject({ idvId: ondato.idvId, stage: 'awaiting_customer' });
      expect(after.idvStatus).not.toBe('Expired');
      expect(after.extraVerifications).toBeUndefined();
      // Neither the fresh IDV (its status is known from the create) nor the old IDV's webhook got a check.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(ondato.calls.getVerification).toBe(checksAtRelink);
      expect(ondato.redactions).toEqual([]);

      ondato.customerFinishes();
      await webhook(handle, { deliveryId: 'd-done', idvId: ondato.idvId });
      const record = await handle.result();
      expect(record).toMatchObject({ outcome: 'approved', idvId: ondato.idvId, kycId: ondato.kycId });
      expect(ondato.calls.getVerification).toBe(checksAtRelink + 1);
      expect(ondato.redactions).toEqual([]);
      expect(ondato.callbacks.find((event) => event.type === 'onboarding.completed')?.idvId).toBe(
        ondato.idvId,
      );
    }));

  it('ends as before when nobody asks within the grace', () =>
    bed.scenario(async ({ start, ondato }) => {
      const { handle } = await start({ timeouts: relinkGrace });
      const waiting = await expire(handle, ondato, 'Aborted');
      const record = await handle.result();
      expect(record).toMatchObject({ outcome: 'abandoned', reasons: ['ondato_idv_aborted'] });
      const decidedAt = Date.parse(record.timestamps.decidedAt as string);
      expect(decidedAt).toBeGreaterThanOrEqual(Date.parse(waiting.relinkOpenUntil as string));
      expect(decidedAt - Date.parse(waiting.relinkOpenUntil as string)).toBeLessThan(MINUTE);
      expect(ondato.calls.createVerification).toBe(1);
    }));
});

describe('reminders', () => {
  it('sends the default two, a day after the link and a day before the deadline, with the link and its validity', () =>
    bed.scenario(async ({ start, ondato, env, workflowId }) => {
      const { link, handle } = await start({ timeouts: sparsePolls });
      const deadlineAt = (await stateOf(handle)).customerDeadlineAt;
      expect(deadlineAt).toBeDefined();

      await env.sleep(DAY - HOUR);
      expect(reminders(ondato)).toEqual([]);
      await env.sleep(2 * HOUR);
      await ondato.until((fake) => reminders(fake).length === 1, 'the first reminder');
      expect(reminders(ondato)[0]).toMatchObject({
        eventId: `${workflowId}/${ondato.idvId}/onboarding.reminder_due/1`,
        idvId: ondato.idvId,
        reminder: { number: 1, customerUrl: link.customerUrl, customerUrlValidUntil: deadlineAt },
      });

      await env.sleep(5 * DAY);
      await ondato.until((fake) => reminders(fake).length === 2, 'the second reminder');
      expect(reminders(ondato)[1]).toMatchObject({
        eventId: `${workflowId}/${ondato.idvId}/onboarding.reminder_due/2`,
        reminder: { number: 2, customerUrl: link.customerUrl, customerUrlValidUntil: deadlineAt },
      });
      const [first, second] = await reminderDelays(handle, ondato);
      expect(first).toBeGreaterThanOrEqual(DAY);
      expect(first).toBeLessThan(DAY + MINUTE);
      expect(second).toBeGreaterThanOrEqual(6 * DAY);
      expect(second).toBeLessThan(6 * DAY + MINUTE);
      expect((await stateOf(handle)).remindersSent?.map((sent) => sent.number)).toEqual([1, 2]);

      // Nothing more until the deadline ends the run.
      const record = await handle.result();
      expect(record.outcome).toBe('expired');
      expect(ondato.callbackTypes()).toEqual([
        'onboarding.reminder_due',
        'onboarding.reminder_due',
        'onboarding.completed',
      ]);
    }));

  it('sends none when the run is given none, and skips offsets outside the link’s lifetime', () =>
    bed.scenario(async ({ start, ondato }) => {
      const { handle } = await start({
        reminders: [],
        timeouts: { customerDeadlineMs: 2 * DAY, ...sparsePolls },
      });
      expect((await handle.result()).outcome).toBe('expired');
      expect(ondato.callbackTypes()).toEqual(['onboarding.completed']);
    }));

  it('skips offsets that fall before the link or at the deadline', () =>
    bed.scenario(async ({ start, ondato }) => {
      const { handle } = await start({
        reminders: [{ afterLinkMs: 3 * DAY }, { beforeDeadlineMs: 3 * DAY }, { afterLinkMs: HOUR }],
        timeouts: { customerDeadlineMs: 2 * DAY, ...sparsePolls },
      });
      expect((await handle.result()).outcome).toBe('expired');
      expect(reminders(ondato).map((event) => event.reminder?.number)).toEqual([3]);
    }));

  it('sends none once the customer finished, while the run waits for ops', () =>
    bed.scenario(async ({ start, ondato, env }) => {
      const { handle } = await start({ timeouts: sparsePolls });
      ondato.customerFinishes({ rules: [{ name: 'FaceMatch', status: 'Fail' }] });
      await webhook(handle, { deliveryId: 'd-1', idvId: ondato.idvId });
      await stateWhen(handle, (state) => state.stage === 'manual_review', 'manual review');
      await env.sleep(8 * DAY);
      await ondato.until(
        (fake) => fake.callbackTypes().includes('onboarding.review_escalated'),
        'the escalation',
      );
      expect(reminders(ondato)).toEqual([]);
    }));

  it('sends none after a cancel', () =>
    bed.scenario(async ({ start, ondato, env }) => {
      const { handle } = await start({ reminders: [{ afterLinkMs: 3 * HOUR }], timeouts: sparsePolls });
      await env.sleep(2 * HOUR);
      await handle.executeUpdate(cancelUpdate, { args: [{ requestedBy: 'ops-1' }] });
      // The reminder was an hour away: the run closed without it, and a closed run sends nothing.
      expect((await handle.result()).outcome).toBe('cancelled');
      expect((await handle.describe()).status.name).toBe('COMPLETED');
      expect(reminders(ondato)).toEqual([]);
      expect(ondato.callbackTypes()).toEqual(['onboarding.completed']);
    }));

  it('keeps count across continue-as-new: the first is not sent again, the second comes on time', () =>
    bed.scenario(async ({ start, ondato, env, workflowId }) => {
      const { handle: firstRun } = await start({ signalBudget: 3, timeouts: sparsePolls });
      // Unbound to a run: follows the onboarding into its continuation.
      const handle: OnboardingHandle = env.client.workflow.getHandle(workflowId);
      const firstRunId = (await firstRun.describe()).runId;
      await env.sleep(DAY + HOUR);
      await ondato.until((fake) => reminders(fake).length === 1, 'the first reminder');

      for (let index = 0; index < 4; index += 1) {
        await webhook(handle, { deliveryId: `d-${index}`, idvId: ondato.idvId });
      }
      const continued = await stateWhen(handle, (state) => (state.continuedRuns ?? 0) >= 1, 'a continuation');
      expect(continued.remindersSent?.map((sent) => sent.number)).toEqual([1]);
      expect((await handle.describe()).runId).not.toBe(firstRunId);

      await env.sleep(5 * DAY);
      await ondato.until((fake) => reminders(fake).length === 2, 'the second reminder');
      await env.sleep(HOUR);
      expect(reminders(ondato).map((event) => event.reminder?.number)).toEqual([1, 2]);
      // The event ids name the link, not the run: a redelivery from the new run would carry the same one.
      expect(new Set(reminders(ondato).map((event) => event.eventId)).size).toBe(2);
    }));
});

// The hand-over to aftercare is tested on the dev server (test/api/lifecycle.test.ts): this test server stops
// skipping time once a run closed over an abandoned child (see OnboardingInput.handOverToAftercare).

/**
 * Refused updates get their own test server: on Temporal's time-skipping test server an update that its
 * validator refused leaves time skipping stuck for every later run on that server (seen: the tests after this
 * one then waited forever for their timers).
 */
describe('refusals of a fresh link', () => {
  let refusalBed: TestBed;
  beforeAll(async () => {
    refusalBed = await startTestBed();
  });
  afterAll(async () => {
    await refusalBed?.teardown();
  });

  it('refuses a fresh link while the session is alive, for a replaced IDV, and twice for one session', () =>
    refusalBed.scenario(async ({ start, ondato }) => {
      const { handle } = await start({ timeouts: relinkGrace });
      await inCustomerWait(handle);
      const refused = (expiredIdvId: string) =>
        handle.executeUpdate(relinkUpdate, { args: [{ requestedBy: 'backend-1', expiredIdvId }] }).then(
          () => undefined,
          (error: unknown) => error,
        );
      const alive = await refused(ondato.idvId);
      expect(alive).toBeInstanceOf(WorkflowUpdateFailedError);
      expect((alive as WorkflowUpdateFailedError).cause?.message).toMatch(/not waiting for a fresh link/);

      const oldIdvId = ondato.idvId;
      await expire(handle, ondato, 'Aborted');
      const wrong = await refused('idv-someone-else');
      expect((wrong as WorkflowUpdateFailedError).cause?.message).toMatch(/already replaced/);
      ondato.idvId = `${oldIdvId}-2`;
      ondato.idvStatus = 'Started';
      await handle.executeUpdate(relinkUpdate, {
        args: [{ requestedBy: 'backend-1', expiredIdvId: oldIdvId }],
      });
      const again = await refused(oldIdvId);
      expect((again as WorkflowUpdateFailedError).cause?.message).toMatch(/not waiting for a fresh link/);
      expect(ondato.calls.createVerification).toBe(2);
    }));
});
