/**
 * Temporal caps signals per run (10,000 by default) and every webhook is a signal, so a flood of replayed
 * webhooks could block a run's real ones. A waiting run that took more signals than its budget continues as new,
 * carrying what it needs; callers find it by workflow id and see no change. Real dev server, real activities,
 * the simulator; the budget is small so the test floods with tens of signals, not thousands.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  CustomerIdKey,
  getStateQuery,
  ondatoWebhookSignal,
  OnboardingStageKey,
  OndatoIdvIdKey,
  RUN_MEMO_KEYS,
  submitReviewUpdate,
  type OnboardingState,
  type OnboardingWorkflow,
  type Stage,
} from '../../contract';
import { harness } from '../harness/env';
import { HISTORIES_DIR, recordHistoryIfAsked } from '../helpers/histories';
import { createOnboardingTestEnv, type OnboardingTestEnv } from '../helpers/onboarding-env';
import { waitFor } from '../helpers/wait-for';

jest.setTimeout(120_000);

const SIGNAL_BUDGET = 20;

/** Like recordHistoryIfAsked, for one run of a chain (that helper records the latest run). */
function recordRunHistoryIfAsked(name: string, workflowId: string, runId: string): void {
  if (process.env.RECORD_HISTORIES !== '1') return;
  const { address, namespace, cliPath } = harness();
  const json = execFileSync(
    cliPath,
    ['workflow', 'show', '--workflow-id', workflowId, '--run-id', runId, '--address', address].concat([
      '--namespace',
      namespace,
      '--output',
      'json',
    ]),
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  writeFileSync(path.join(HISTORIES_DIR, `${name}.json`), json);
}

describe('continue-as-new under signal pressure', () => {
  let env: OnboardingTestEnv;

  beforeAll(async () => {
    env = await createOnboardingTestEnv();
  });
  afterAll(async () => {
    await env?.close();
  });

  it('a waiting run past its signal budget continues as new, twice, and still decides once', async () => {
    const { link, handle, customerId } = await env.start({ signalBudget: SIGNAL_BUDGET });
    const idvId = link.idvId as string;
    // What the API uses: the workflow id alone, i.e. the latest run.
    const latest = env.client.workflow.getHandle<OnboardingWorkflow>(handle.workflowId);

    /** Replayed and fresh deliveries alike: each is a signal, each a history event. */
    async function flood(prefix: string, signals: number, distinct: number): Promise<void> {
      for (let index = 0; index < signals; index += 1) {
        await latest.signal(ondatoWebhookSignal, {
          deliveryId: `${prefix}-${index % distinct}`,
          type: 'IdentityVerification.StatusChanged',
          idvId,
        });
      }
    }

    async function settledIn(stage: Stage, runIdOtherThan: string): Promise<OnboardingState> {
      return waitFor(
        async () => {
          const { runId } = await latest.describe();
          if (runId === runIdOtherThan) return undefined;
          const state = await latest.query(getStateQuery);
          return state.stage === stage ? state : undefined;
        },
        { timeoutMs: 60_000, what: `a new run in ${stage}` },
      );
    }

    await flood('flood-a', 3 * SIGNAL_BUDGET, SIGNAL_BUDGET);
    const continued = await settledIn('awaiting_customer', link.runId as string);
    expect(continued.idvId).toBe(idvId);
    expect(continued.customerUrl).toBe(link.customerUrl);
    expect(continued.continuedRuns).toBeGreaterThanOrEqual(1);
    // Deduplicated across runs: twenty distinct deliveries, each counted once.
    expect(continued.webhooksReceived).toBe(SIGNAL_BUDGET);
    const description = await latest.describe();
    expect(description.typedSearchAttributes.get(OnboardingStageKey)).toBe('awaiting_customer');
    expect(description.typedSearchAttributes.get(OndatoIdvIdKey)).toBe(idvId);
    expect(description.typedSearchAttributes.get(CustomerIdKey)).toBe(customerId);
    const memo = description.memo ?? {};
    expect(memo[RUN_MEMO_KEYS.idvId]).toBe(idvId);
    expect(memo[RUN_MEMO_KEYS.customerUrl]).toBe(link.customerUrl);

    // The customer finishes; a failed rule sends the run to manual review, where another flood arrives.
    await env.control.complete(idvId, {
      outcome: 'approved',
      rules: [{ name: 'SelfieAndDocumentFacesMatch', status: 'Fail' }],
    });
    const inReview = await waitFor(
      async () => {
        const state = await latest.query(getStateQuery);
        return state.stage === 'manual_review' ? state : undefined;
      },
      { timeoutMs: 60_000, what: 'manual_review' },
    );
    const reviewRunId = (await latest.describe()).runId;
    await flood('flood-b', 2 * SIGNAL_BUDGET, 5);
    const stillInReview = await settledIn('manual_review', reviewRunId);
    expect(stillInReview.continuedRuns).toBeGreaterThan(inReview.continuedRuns ?? 0);
    expect(stillInReview.documents).toEqual(inReview.documents);
    expect(stillInReview.reasons).toEqual(inReview.reasons);
    expect(stillInReview.kycId).toBe(inReview.kycId);

    await latest.executeUpdate(submitReviewUpdate, { args: [{ reviewerId: 'ops-7', decision: 'approved' }] });
    // The start's handle names the first run; its result follows the continuations to the decision.
    const record = await handle.result();
    expect(record.outcome).toBe('approved');
    expect(record.idvId).toBe(idvId);
    expect(record.documents).toEqual(inReview.documents);
    expect(record.timestamps.startedAt).toBe(continued.timestamps.startedAt);
    const completed = await waitFor(async () => {
      const events = env.callbacks
        .forCustomer(customerId)
        .filter((callback) => callback.event.type === 'onboarding.completed');
      return events.length > 0 ? events : undefined;
    });
    expect(completed).toHaveLength(1);
    expect(completed[0].event.outcome).toBe('approved');

    const runs: string[] = [];
    for await (const run of env.client.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` })) {
      runs.push(run.runId);
    }
    expect(runs.length).toBeGreaterThanOrEqual(3);
    await recordHistoryIfAsked('continued-as-new-in-review', latest);
    // The first run: it waited for the customer and ended by continuing as new.
    recordRunHistoryIfAsked('continued-as-new-first-run', handle.workflowId, link.runId as string);
  });

  it('keeps the wait deadlines as instants: a continuation does not extend the customer deadline or the escalation', async () => {
    const DEADLINE_MS = 8_000;
    const started = Date.now();
    const { link, handle } = await env.start({
      signalBudget: 5,
      timeouts: { customerDeadlineMs: DEADLINE_MS },
    });
    const latest = env.client.workflow.getHandle<OnboardingWorkflow>(handle.workflowId);
    const flood = async (prefix: string): Promise<void> => {
      for (let index = 0; index < 6; index += 1) {
        await latest.signal(ondatoWebhookSignal, { deliveryId: `${prefix}-${index}`, type: 'Other.Event' });
      }
    };
    await new Promise((resolve) => setTimeout(resolve, DEADLINE_MS / 2));
    await flood('late');
    await waitFor(async () => ((await latest.describe()).runId !== link.runId ? true : undefined), {
      what: 'a continuation',
    });
    // The customer never finishes: the run expires when the first run's deadline passes, not later.
    const record = await handle.result();
    expect(record.outcome).toBe('expired');
    expect(record.reasons).toEqual(['customer_deadline_passed']);
    const took = Date.parse(record.timestamps.decidedAt as string) - Date.parse(record.timestamps.startedAt);
    expect(took).toBeGreaterThanOrEqual(DEADLINE_MS);
    // Had the continuation restarted the clock, the run would have taken at least 1.5 × the deadline.
    expect(took).toBeLessThan(DEADLINE_MS * 1.4);
    expect(Date.now() - started).toBeLessThan(DEADLINE_MS * 1.4 + 5_000);
  });

  it('escalates a manual review on time across a continuation, and still takes the ops decision', async () => {
    const ESCALATION_MS = 8_000;
    const { link, handle, customerId } = await env.start({
      signalBudget: 5,
      timeouts: { manualReviewEscalationMs: ESCALATION_MS },
    });
    const latest = env.client.workflow.getHandle<OnboardingWorkflow>(handle.workflowId);
    await env.control.complete(link.idvId as string, {
      outcome: 'approved',
      rules: [{ name: 'SelfieAndDocumentFacesMatch', status: 'Fail' }],
    });
    await waitFor(async () =>
      (await latest.query(getStateQuery)).stage === 'manual_review' ? true : undefined,
    );
    const reviewSince = Date.now();
    const reviewRunId = (await latest.describe()).runId;
    await new Promise((resolve) => setTimeout(resolve, ESCALATION_MS / 2));
    for (let index = 0; index < 6; index += 1) {
      await latest.signal(ondatoWebhookSignal, { deliveryId: `review-${index}`, type: 'Other.Event' });
    }
    await waitFor(async () => ((await latest.describe()).runId !== reviewRunId ? true : undefined), {
      what: 'a continuation in review',
    });
    const escalation = await waitFor(
      async () =>
        env.callbacks
          .forCustomer(customerId)
          .find((callback) => callback.event.type === 'onboarding.review_escalated'),
      { timeoutMs: 30_000, what: 'the escalation callback' },
    );
    const escalatedAfter = Date.parse(escalation.event.occurredAt) - reviewSince;
    expect(escalatedAfter).toBeGreaterThanOrEqual(ESCALATION_MS - 1_000);
    expect(escalatedAfter).toBeLessThan(ESCALATION_MS * 1.4);

    await latest.executeUpdate(submitReviewUpdate, { args: [{ reviewerId: 'ops-7', decision: 'rejected' }] });
    expect((await handle.result()).outcome).toBe('rejected');
    const types = env.callbacks.forCustomer(customerId).map((callback) => callback.event.type);
    expect(types.filter((type) => type === 'onboarding.review_escalated')).toHaveLength(1);
    expect(types.filter((type) => type === 'onboarding.completed')).toHaveLength(1);
  });
});
