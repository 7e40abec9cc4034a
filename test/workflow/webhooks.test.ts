/**
 * Webhooks wake the waits: at once when relevant (also when one lands while a check is running), never twice
 * for one delivery, never for another verification. The proof is the workflow clock: the test server only
 * moves it when the test lets it, so a wake-up that needed the 15-minute poll shows up as 15 minutes.
 *
 * A lean run checks with Ondato only when a check can tell it something: not right after it created the IDV,
 * not for a webhook whose status (the API's hint) cannot end the wait, and not at all when the webhook says the
 * IDV is Completed with its KYC id. A webhook without a hint always gets a check.
 */
import { DEFAULT_TIMEOUTS } from '../../contract';
import {
  inCustomerWait,
  MINUTE,
  startTestBed,
  stateOf,
  stateWhen,
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

const POLL = DEFAULT_TIMEOUTS.pollIntervalMs;

function customerTook(record: { timestamps: { startedAt: string; customerFinishedAt?: string } }): number {
  return Date.parse(record.timestamps.customerFinishedAt as string) - Date.parse(record.timestamps.startedAt);
}

describe('webhooks', () => {
  it('a webhook wakes the wait at once instead of at the next poll', () =>
    bed.scenario(async ({ start, ondato, now }) => {
      const { handle } = await start();
      await inCustomerWait(handle);
      const before = await now();
      ondato.customerFinishes();
      await webhook(handle, { deliveryId: 'd-1', idvId: ondato.idvId });
      // Time skipping is locked here, so only the webhook can trigger the check.
      await ondato.until((fake) => fake.calls.getVerification === 1, 'the check the webhook triggers');
      expect((await now()) - before).toBeLessThan(MINUTE);

      const record = await handle.result();
      expect(record.outcome).toBe('approved');
      expect(customerTook(record)).toBeLessThan(MINUTE);
      // The new IDV was not checked before the webhook: one check in all.
      expect(ondato.calls.getVerification).toBe(1);
    }));

  it('without a webhook the poll finds the finished customer after the poll interval, with one check', () =>
    bed.scenario(async ({ start, ondato }) => {
      const { handle } = await start();
      await inCustomerWait(handle);
      ondato.customerFinishes();
      const record = await handle.result();
      expect(record.outcome).toBe('approved');
      expect(customerTook(record)).toBeGreaterThanOrEqual(POLL);
      expect(customerTook(record)).toBeLessThan(POLL + MINUTE);
      // Only the poll tick checked: a check when the wait began would have found the customer at once.
      expect(ondato.calls.getVerification).toBe(1);
    }));

  it('counts a delivery id once, however often Ondato redelivers it', () =>
    bed.scenario(async ({ start, ondato }) => {
      const { handle } = await start();
      await inCustomerWait(handle);
      await webhook(handle, { deliveryId: 'd-1', idvId: ondato.idvId });
      await ondato.until((fake) => fake.calls.getVerification === 1, 'the check d-1 triggers');

      await webhook(handle, { deliveryId: 'd-1', idvId: ondato.idvId });
      await webhook(handle, { deliveryId: 'd-1', idvId: ondato.idvId });
      expect((await stateOf(handle)).webhooksReceived).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(ondato.calls.getVerification).toBe(1); // the redeliveries woke nothing

      ondato.customerFinishes();
      await webhook(handle, { deliveryId: 'd-2', idvId: ondato.idvId });
      const record = await handle.result();
      expect(record.outcome).toBe('approved');
      expect((await stateOf(handle)).webhooksReceived).toBe(2);
      expect(ondato.calls.getVerification).toBe(2);
      expect(customerTook(record)).toBeLessThan(MINUTE);
    }));

  it('ignores a webhook for another verification: the poll, not the webhook, ends the wait', () =>
    bed.scenario(async ({ start, ondato, env: testEnv }) => {
      const { handle } = await start();
      await inCustomerWait(handle);
      ondato.customerFinishes(); // a check now would see the customer finished
      await webhook(handle, { deliveryId: 'd-other', idvId: 'idv-of-an-older-attempt' });
      expect((await stateOf(handle)).webhooksReceived).toBe(1);

      await testEnv.sleep(POLL - MINUTE);
      expect(ondato.calls.getVerification).toBe(0);
      expect((await stateOf(handle)).stage).toBe('awaiting_customer');

      const record = await handle.result();
      expect(record.outcome).toBe('approved');
      expect(customerTook(record)).toBeGreaterThanOrEqual(POLL);
      expect(ondato.calls.getVerification).toBe(1);
    }));

  it('a webhook that lands while a check is running wakes the wait as soon as the check returns', () =>
    bed.scenario(async ({ start, ondato }) => {
      const { handle } = await start();
      await inCustomerWait(handle);
      const firstCheck = ondato.hold('getVerification');
      await webhook(handle, { deliveryId: 'd-0', idvId: ondato.idvId }); // no hint: the run checks
      await firstCheck.entered; // Ondato has answered "Started"; the answer is still on its way
      ondato.customerFinishes();
      await webhook(handle, { deliveryId: 'd-1', idvId: ondato.idvId });
      await stateWhen(
        handle,
        (state) => state.webhooksReceived === 2,
        'the webhook handled during the check',
      );
      firstCheck.release();

      // Time skipping is locked: without the wake-up the second check would wait for a 15-minute timer.
      await ondato.until((fake) => fake.calls.getVerification === 2, 'the check the webhook triggers');
      const record = await handle.result();
      expect(record.outcome).toBe('approved');
      expect(customerTook(record)).toBeLessThan(MINUTE);
      expect(ondato.calls.getVerification).toBe(2);
    }));

  it('an IDV webhook saying Completed with the KYC id ends the customer wait without a check', () =>
    bed.scenario(async ({ start, ondato }) => {
      const { handle } = await start();
      await inCustomerWait(handle);
      ondato.customerFinishes();
      await webhook(handle, {
        deliveryId: 'd-1',
        type: 'IdentityVerification.StatusChanged',
        idvId: ondato.idvId,
        hint: { status: 'Completed', kycId: ondato.kycId },
      });
      const record = await handle.result();
      expect(record).toMatchObject({ outcome: 'approved', idvId: ondato.idvId, kycId: ondato.kycId });
      expect(customerTook(record)).toBeLessThan(MINUTE);
      expect(ondato.calls.getVerification).toBe(0);
      // The decision still comes from the identification fetched from Ondato, never from the webhook.
      expect(ondato.calls.getIdentification).toBe(1);
      expect((await stateOf(handle)).idvStatus).toBe('Completed');
    }));

  it('IDV webhooks whose status cannot end the wait trigger no check; one without a hint does', () =>
    bed.scenario(async ({ start, ondato, now }) => {
      const { handle } = await start();
      await inCustomerWait(handle);
      const before = await now();
      for (const [index, status] of ['Pending', 'InProgress', 'InProgress'].entries()) {
        await webhook(handle, {
          deliveryId: `d-${index}`,
          type: 'IdentityVerification.StatusChanged',
          idvId: ondato.idvId,
          hint: { status },
        });
      }
      await stateWhen(handle, (state) => state.webhooksReceived === 3, 'the hinted webhooks');
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(ondato.calls.getVerification).toBe(0);

      // The wait still listens: a webhook that says nothing useful gets a check at once.
      ondato.customerFinishes();
      await webhook(handle, { deliveryId: 'd-plain', idvId: ondato.idvId });
      await ondato.until((fake) => fake.calls.getVerification === 1, 'the check the plain webhook triggers');
      expect((await now()) - before).toBeLessThan(MINUTE);
      const record = await handle.result();
      expect(record.outcome).toBe('approved');
      expect(customerTook(record)).toBeLessThan(MINUTE);
      expect(ondato.calls.getVerification).toBe(1);
    }));
});
