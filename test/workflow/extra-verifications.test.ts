/**
 * A webhook naming another IDV of ours (our reference, not the run's IDV) gets that IDV looked into and
 * redacted, once, without waking the run's check of its own verification. On the time-skipping server with the
 * scripted Ondato; the real-process version is test/integration/idv-orphans.test.ts.
 *
 * Continue-as-new is tested on the real dev server only (test/integration/signal-pressure.test.ts): on the
 * time-skipping server a query or a sleep around a continuation sometimes never returned.
 */
import {
  inCustomerWait,
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

describe('extra verifications', () => {
  it('a webhook for another IDV of ours gets it redacted and recorded, without waking the check', () =>
    bed.scenario(async ({ start, ondato }) => {
      const { handle } = await start();
      await inCustomerWait(handle);
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
      // No check: the run began its wait without one (a new IDV) and the extra's webhooks woke none.
      expect(ondato.calls.getVerification).toBe(0);
    }));

  it('records extras the create call reports and redacts those with an id', () =>
    bed.scenario(async ({ start, ondato }) => {
      ondato.createdExtras = { extraIdvIds: ['idv-earlier'], unansweredCreates: 1 };
      const { handle } = await start();
      const state = await stateWhen(
        handle,
        (current) => (current.extraVerifications ?? []).length === 2,
        'the extras recorded',
      );
      expect(state.createdIdvIds).toEqual(['idv-earlier', ondato.idvId]);
      expect(state.extraVerifications).toEqual([
        expect.objectContaining({ origin: 'intent_only', disposition: 'unknown_id' }),
        expect.objectContaining({
          idvId: 'idv-earlier',
          origin: 'retried_create',
          disposition: 'redaction_requested',
        }),
      ]);
      expect(ondato.redactions).toEqual(['idv-earlier']);
    }));
});
