/**
 * The lean history (patch `lean-history`): one patch marker per run, search-attribute and memo upserts batched
 * per workflow task, and no Ondato fetch that a relayed webhook's status makes pointless. Real dev server, real
 * activities, the simulator over HTTP, webhooks through the API's relay; counted from the runs' histories.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { getStateQuery } from '../../contract';
import { createOnboardingTestEnv, type OnboardingTestEnv } from '../helpers/onboarding-env';
import { waitFor } from '../helpers/wait-for';

jest.setTimeout(90_000);

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

async function eventsOf(handle: WorkflowHandle): Promise<HistoryEvent[]> {
  return (await handle.fetchHistory()).events ?? [];
}

function scheduledActivities(events: HistoryEvent[]): string[] {
  return events.flatMap((event) => {
    const name = event.activityTaskScheduledEventAttributes?.activityType?.name;
    return name ? [name] : [];
  });
}

function count(events: HistoryEvent[], has: (event: HistoryEvent) => unknown): number {
  return events.filter((event) => has(event) != null).length;
}

describe('lean history', () => {
  let env: OnboardingTestEnv;

  beforeAll(async () => {
    // A short start wait, so the start that no worker answers falls back to the run's memo quickly.
    env = await createOnboardingTestEnv({ env: { API_START_WAIT_MS: '1500' } });
  });
  afterAll(async () => {
    await env?.close();
  });
  afterEach(async () => {
    await env.control.clearFaults();
  });

  it('approves on the webhook alone: no IDV fetch, one patch marker, one upsert of each kind per task', async () => {
    const { link, handle } = await env.start({});
    expect(link.created).toBe(true); // answered from the link update, without a describe
    // Set after the create (whose activity reads the new IDV back to check its ids): a later fetch of the IDV
    // would meet this fault, so it must stay unhit.
    await env.control.setFault({ route: 'getIdv', mode: 'status', status: 503, times: 1 });
    await env.control.complete(link.idvId as string, { outcome: 'approved' });
    expect((await handle.result()).outcome).toBe('approved');

    expect((await env.control.faults()).map((fault) => [fault.route, fault.hits])).toEqual([['getIdv', 0]]);
    const events = await eventsOf(handle);
    expect(scheduledActivities(events)).not.toContain('getVerification');
    expect(scheduledActivities(events)).toContain('getIdentification');
    const markers = events.filter((event) => event.markerRecordedEventAttributes != null);
    expect(markers).toHaveLength(1);
    // Never two upserts of one kind in one workflow task: they are batched.
    let searchUpserts = 0;
    let memoUpserts = 0;
    for (const event of events) {
      if (event.workflowTaskCompletedEventAttributes != null) {
        searchUpserts = 0;
        memoUpserts = 0;
      }
      if (event.upsertWorkflowSearchAttributesEventAttributes != null) searchUpserts += 1;
      if (event.workflowPropertiesModifiedEventAttributes != null) memoUpserts += 1;
      expect(Math.max(searchUpserts, memoUpserts)).toBeLessThanOrEqual(1);
    }
    // Readers still see the final stage and outcome.
    const description = await handle.describe();
    expect(description.searchAttributes).toMatchObject({
      OnboardingStage: ['completed'],
      Outcome: ['approved'],
    });
    // One search-attribute upsert for the patch marker's change version, then one per stage (with the ids,
    // the KYC status and the outcome in them); the memo only when the ids change (the stage is not kept there).
    expect(count(events, (event) => event.upsertWorkflowSearchAttributesEventAttributes)).toBeLessThanOrEqual(
      6,
    );
    expect(count(events, (event) => event.workflowPropertiesModifiedEventAttributes)).toBeLessThanOrEqual(2);
  });

  it('fetches the identification again only when a webhook may carry Ondato’s decision', async () => {
    const { link, handle } = await env.start({});
    const completed = await env.control.complete(link.idvId as string, { outcome: 'awaiting' });
    await waitFor(async () =>
      (await handle.query(getStateQuery)).stage === 'awaiting_ondato_review' ? true : undefined,
    );
    // The webhooks of the completion (IDV Completed, KYC Created: Awaiting) have all arrived by now.
    await waitFor(async () => ((await handle.query(getStateQuery)).webhooksReceived >= 2 ? true : undefined));
    const beforeDecision = scheduledActivities(await eventsOf(handle));
    expect(beforeDecision.filter((name) => name === 'getIdentification')).toHaveLength(1);

    await env.control.decide(completed.kycId as string, { status: 'Approved' });
    expect((await handle.result()).outcome).toBe('approved');
    const activities = scheduledActivities(await eventsOf(handle));
    expect(activities.filter((name) => name === 'getIdentification')).toHaveLength(2);
    expect(activities).not.toContain('getVerification');
  });

  it('still polls when webhooks are lost', async () => {
    await env.control.setWebhooks({ drop: true });
    try {
      const { link, handle } = await env.start({ timeouts: { pollIntervalMs: 300 } });
      await env.control.complete(link.idvId as string, { outcome: 'approved' });
      expect((await handle.result()).outcome).toBe('approved');
      expect(scheduledActivities(await eventsOf(handle))).toContain('getVerification');
    } finally {
      await env.control.setWebhooks({ drop: false });
    }
  });

  it('a start that no worker answers in time is still ready when the run recorded its URL', async () => {
    const { link, customerId } = await env.start({});
    await env.stopWorker();
    try {
      // The same customer again: the link update waits for a worker; the run's memo has the URL.
      const again = await env.start({ customerId });
      expect(again.ready).toBe(true);
      expect(again.link).toMatchObject({ created: false, customerUrl: link.customerUrl, idvId: link.idvId });
    } finally {
      await env.startWorker();
    }
  });
});
