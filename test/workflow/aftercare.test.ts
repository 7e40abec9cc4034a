/**
 * The aftercare and erasure workflows on Temporal's time-skipping server, with stubbed activities: the
 * re-verification notice at expiry minus the lead (once per onboarding), retention per outcome, the legal hold
 * holding retention past its due time, the refusals of the hold and erasure messages, the policy read when an
 * onboarding closes, and continue-as-new keeping the state. Years pass in seconds.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { AftercarePolicy, LifecycleActivities, RunRef } from '../../activities/lifecycle';
import {
  AFTERCARE_WORKFLOW_TYPE,
  aftercareWorkflowId,
  getAftercareStateQuery,
  onboardingClosedSignal,
  requestErasureUpdate,
  setLegalHoldUpdate,
  type AftercareInput,
  type AftercareState,
  type CallbackEvent,
  type ErasureInput,
  type OnboardingClosed,
} from '../../contract';
import { ensureTestServer } from '../../scripts/time-skipping-server';
import { harness } from '../harness/env';
import { testDataConverter } from '../helpers/codec-keys';

const DAY = 24 * 60 * 60 * 1000;

type AftercareHandle = WorkflowHandle<(input: AftercareInput) => Promise<AftercareState>>;

/** What the stubbed activities saw and answer. */
class Stubs {
  policy: AftercarePolicy = { reverificationLeadMs: 30 * DAY, retentionMs: { approved: 5 * 365 * DAY } };
  readonly callbacks: CallbackEvent[] = [];
  readonly erasures: ErasureInput[] = [];
  readonly deletedRuns: RunRef[] = [];
  policyReads = 0;
  /** Customers whose onboarding the stub reports running. */
  readonly onboardingOpenFor = new Set<string>();
  /** Customers whose documents the stub store refuses to delete (the erasure fails). */
  readonly brokenStoreFor = new Set<string>();

  activities(): LifecycleActivities & {
    notifyBackend(input: { event: CallbackEvent }): Promise<{ delivered: boolean }>;
  } {
    return {
      aftercarePolicy: async () => {
        this.policyReads += 1;
        return this.policy;
      },
      legalHoldOf: async () => undefined,
      onboardingOpen: async (customerId: string) => this.onboardingOpenFor.has(customerId),
      terminateOpenOnboarding: async () => undefined,
      collectCustomerRuns: async (customerId: string) => ({
        onboardingRuns: [{ workflowId: `onboarding-${customerId}`, runId: 'run-1' }],
        aftercareRuns: [],
        idvIds: ['idv-1'],
      }),
      deleteCustomerDocuments: async (customerId: string) => {
        if (this.brokenStoreFor.has(customerId)) {
          throw ApplicationFailure.nonRetryable('the store refused (test)', 'DocumentStoreFailed');
        }
        return 3;
      },
      redactCustomerVerification: async () => ({ requested: true }),
      recordErasure: async (record) => {
        this.erasures.push({ ...record });
        return { key: `audit/erasures/${record.erasureId}.json` };
      },
      deleteRunHistories: async (runs: RunRef[]) => {
        this.deletedRuns.push(...runs);
        return runs;
      },
      notifyBackend: async ({ event }: { event: CallbackEvent }) => {
        this.callbacks.push(event);
        return { delivered: true };
      },
    };
  }

  dueNotices(): CallbackEvent[] {
    return this.callbacks.filter((event) => event.type === 'onboarding.reverification_due');
  }
}

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
const stubs = new Stubs();
const taskQueue = `aftercare-ts-${randomUUID()}`;

beforeAll(async () => {
  const server = await ensureTestServer();
  env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: server.path } },
    client: { dataConverter: testDataConverter() },
  });
  worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundle: { codePath: harness().bundlePath },
    activities: stubs.activities(),
    dataConverter: testDataConverter(),
    shutdownGraceTime: '1 second',
  });
  running = worker.run();
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});
beforeEach(() => {
  stubs.callbacks.length = 0;
  stubs.erasures.length = 0;
  stubs.policy = { reverificationLeadMs: 30 * DAY, retentionMs: { approved: 5 * 365 * DAY } };
});

function day(offsetDays: number, from: number): string {
  return new Date(from + offsetDays * DAY).toISOString().slice(0, 10);
}

async function closed(
  outcome: OnboardingClosed['outcome'],
  extra: Partial<OnboardingClosed> = {},
): Promise<OnboardingClosed> {
  return {
    workflowId: 'onboarding-x',
    runId: randomUUID(),
    outcome,
    closedAt: new Date(await env.currentTimeMs()).toISOString(),
    ...extra,
  };
}

async function startAftercare(
  input: Omit<AftercareInput, 'customerId'>,
): Promise<{ handle: AftercareHandle; customerId: string }> {
  const customerId = `c-${randomUUID().slice(0, 8)}`;
  const handle: AftercareHandle = await env.client.workflow.start(AFTERCARE_WORKFLOW_TYPE, {
    workflowId: aftercareWorkflowId(customerId),
    taskQueue,
    args: [{ customerId, ...input }],
  });
  return { handle, customerId };
}

/** Polls the state (real time; the workflow clock stands still meanwhile). */
async function stateWhen(
  handle: AftercareHandle,
  accept: (state: AftercareState) => boolean,
): Promise<AftercareState> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const state = await handle.query(getAftercareStateQuery);
    if (accept(state)) return state;
    if (Date.now() > deadline) throw new Error(`state never matched: ${JSON.stringify(state)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function refusal(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError) return error.cause?.message ?? '';
    throw error;
  }
  throw new Error('the update was not refused');
}

describe('re-verification', () => {
  it('sends the notice once, the configured lead before the document expires; a new onboarding resets it', async () => {
    const now = await env.currentTimeMs();
    const first = await closed('approved', { documentExpiresOn: day(40, now) });
    const { handle } = await startAftercare({ closed: first });
    const state = await stateWhen(handle, (s) => s.reverificationDueAt !== undefined);
    expect(Date.parse(state.reverificationDueAt as string)).toBe(
      Date.parse(`${day(40, now)}T00:00:00Z`) - 30 * DAY,
    );

    await env.sleep(8 * DAY);
    expect(stubs.dueNotices()).toEqual([]);
    await env.sleep(3 * DAY);
    await stateWhen(handle, (s) => s.reverificationNotifiedAt !== undefined);
    expect(stubs.dueNotices()).toEqual([
      expect.objectContaining({
        eventId: `${first.workflowId}/${first.runId}/onboarding.reverification_due`,
        reverification: { documentExpiresOn: first.documentExpiresOn },
        outcome: 'approved',
      }),
    ]);
    await env.sleep(60 * DAY);
    expect(stubs.dueNotices()).toHaveLength(1);

    // A later approved onboarding with a new document: its own notice.
    const later = await env.currentTimeMs();
    const second = await closed('approved', { documentExpiresOn: day(35, later) });
    await handle.signal(onboardingClosedSignal, second);
    await stateWhen(
      handle,
      (s) => s.latest?.runId === second.runId && s.reverificationDueAt !== state.reverificationDueAt,
    );
    await env.sleep(6 * DAY);
    await stateWhen(handle, (s) => s.reverificationNotifiedAt !== undefined);
    expect(stubs.dueNotices().map((event) => event.eventId)).toEqual([
      `${first.workflowId}/${first.runId}/onboarding.reverification_due`,
      `${second.workflowId}/${second.runId}/onboarding.reverification_due`,
    ]);
  });

  it('sends none for a rejected onboarding, or without an expiry date', async () => {
    const now = await env.currentTimeMs();
    const { handle } = await startAftercare({
      closed: await closed('rejected', { documentExpiresOn: day(10, now) }),
    });
    await env.sleep(20 * DAY);
    await handle.signal(onboardingClosedSignal, await closed('approved'));
    await env.sleep(20 * DAY);
    const state = await handle.query(getAftercareStateQuery);
    expect(state.reverificationDueAt).toBeUndefined();
    expect(stubs.dueNotices()).toEqual([]);
  });
});

describe('retention and legal hold', () => {
  it('erases after the retention of the outcome, read from the policy when the onboarding closed', async () => {
    stubs.policy = { reverificationLeadMs: 30 * DAY, retentionMs: { rejected: 365 * DAY } };
    const { handle, customerId } = await startAftercare({ closed: await closed('rejected') });
    await stateWhen(handle, (s) => s.retentionDueAt !== undefined);
    // A changed policy applies to timers set afterwards, not to this one.
    stubs.policy = { reverificationLeadMs: 30 * DAY, retentionMs: { rejected: 10 * DAY } };
    await env.sleep(300 * DAY);
    expect(stubs.erasures).toEqual([]);
    await env.sleep(70 * DAY);
    const result = await handle.result();
    expect(result.retentionErasureId).toBeDefined();
    expect(stubs.erasures).toEqual([
      expect.objectContaining({
        customerId,
        trigger: 'retention',
        requestedBy: 'retention',
        status: 'completed',
      }),
    ]);
  });

  it('does not erase a customer who is onboarding again when retention comes due; the next close sets it anew', async () => {
    stubs.policy = {
      reverificationLeadMs: 30 * DAY,
      retentionMs: { expired: 90 * DAY, approved: 365 * DAY },
    };
    const { handle, customerId } = await startAftercare({ closed: await closed('expired') });
    await stateWhen(handle, (s) => s.retentionDueAt !== undefined);
    stubs.onboardingOpenFor.add(customerId);
    await env.sleep(100 * DAY);
    const waiting = await stateWhen(handle, (s) => s.retentionDueAt === undefined);
    expect(waiting.erasure).toBeUndefined();
    expect(stubs.erasures.filter((record) => record.customerId === customerId)).toEqual([]);

    stubs.onboardingOpenFor.delete(customerId);
    const approved = await closed('approved');
    await handle.signal(onboardingClosedSignal, approved);
    const state = await stateWhen(
      handle,
      (s) => s.latest?.runId === approved.runId && s.retentionDueAt !== undefined,
    );
    expect(Date.parse(state.retentionDueAt as string)).toBe(Date.parse(approved.closedAt) + 365 * DAY);
    await handle.terminate('test finished');
  });

  it('never erases an outcome whose retention is off', async () => {
    stubs.policy = { reverificationLeadMs: 30 * DAY, retentionMs: {} };
    const { handle, customerId } = await startAftercare({ closed: await closed('approved') });
    // Beyond every default retention (the test server times a run out after about ten years).
    await env.sleep(6 * 365 * DAY);
    expect((await handle.describe()).status.name).toBe('RUNNING');
    // Runs of earlier tests are still waiting on the same clock: only this customer's erasures count.
    expect(stubs.erasures.filter((record) => record.customerId === customerId)).toEqual([]);
  });

  it('holds retention past its due time; lifting the hold erases at once', async () => {
    stubs.policy = { reverificationLeadMs: 30 * DAY, retentionMs: { abandoned: 90 * DAY } };
    const { handle, customerId } = await startAftercare({ closed: await closed('abandoned') });
    const held = await handle.executeUpdate(setLegalHoldUpdate, {
      args: [{ on: true, requestedBy: 'ops-desk', reason: 'CASE-7' }],
    });
    expect(held.legalHold).toMatchObject({ on: true, setBy: 'ops-desk', reason: 'CASE-7' });
    await env.sleep(400 * DAY);
    expect(stubs.erasures).toEqual([]);
    expect(
      await refusal(
        handle.executeUpdate(requestErasureUpdate, { args: [{ erasureId: 'e-1', requestedBy: 'ops-desk' }] }),
      ),
    ).toMatch(/^legal_hold:/);

    await handle.executeUpdate(setLegalHoldUpdate, { args: [{ on: false, requestedBy: 'ops-desk' }] });
    await handle.result();
    expect(stubs.erasures).toEqual([expect.objectContaining({ customerId, trigger: 'retention' })]);
  });

  it('an erasure request joins the running one and no hold lands on it; bad holds are refused', async () => {
    const { handle, customerId } = await startAftercare({});
    expect(
      await refusal(handle.executeUpdate(setLegalHoldUpdate, { args: [{ on: true, requestedBy: '' }] })),
    ).toMatch(/^validation_failed:/);
    expect(
      await refusal(
        handle.executeUpdate(setLegalHoldUpdate, {
          args: [{ on: true, requestedBy: 'ops', reason: 'x'.repeat(201) }],
        }),
      ),
    ).toMatch(/^validation_failed:/);
    // Both requests are accepted in the same workflow task: the second joins the first.
    const [first, second] = await Promise.all([
      handle.executeUpdate(requestErasureUpdate, { args: [{ erasureId: 'e-first', requestedBy: 'ops' }] }),
      handle.executeUpdate(requestErasureUpdate, { args: [{ erasureId: 'e-second', requestedBy: 'ops' }] }),
    ]);
    // Whichever Temporal delivered first started the erasure; the other joined it.
    const erasureId = first.joined ? second.erasureId : first.erasureId;
    expect([first.erasureId, second.erasureId]).toEqual([erasureId, erasureId]);
    expect([first.joined, second.joined].sort()).toEqual([false, true]);
    await handle.result();
    expect(stubs.erasures).toEqual([
      expect.objectContaining({
        erasureId,
        customerId,
        trigger: 'request',
        documentsDeleted: 3,
        ondatoRedactionsRequested: ['idv-1'],
        runsDeleted: [{ workflowId: `onboarding-${customerId}`, runId: 'run-1' }],
      }),
    ]);
    expect(stubs.callbacks.filter((event) => event.type === 'onboarding.erased')).toEqual([
      expect.objectContaining({ customerId, erasure: { erasureId } }),
    ]);
  });
});

describe('a failed erasure', () => {
  it('leaves the aftercare run and its state in place; a later request erases', async () => {
    const { handle, customerId } = await startAftercare({ closed: await closed('approved') });
    stubs.brokenStoreFor.add(customerId);
    const first = await handle.executeUpdate(requestErasureUpdate, {
      args: [{ erasureId: `e-broken-${customerId}`, requestedBy: 'ops' }],
    });
    await stateWhen(handle, (s) => s.erasure === undefined);
    const failed = await env.client.workflow.getHandle(`erasure-${first.erasureId}`).describe();
    expect(failed.status.name).toBe('FAILED');
    expect((await handle.describe()).status.name).toBe('RUNNING');
    // Holds are accepted again once no erasure runs.
    await handle.executeUpdate(setLegalHoldUpdate, { args: [{ on: false, requestedBy: 'ops' }] });

    stubs.brokenStoreFor.delete(customerId);
    const second = await handle.executeUpdate(requestErasureUpdate, {
      args: [{ erasureId: `e-fixed-${customerId}`, requestedBy: 'ops' }],
    });
    expect(second.joined).toBe(false);
    await handle.result();
    expect(stubs.erasures.filter((record) => record.customerId === customerId)).toEqual([
      expect.objectContaining({ erasureId: `e-fixed-${customerId}`, status: 'completed' }),
    ]);
  });
});

describe('a long-lived run', () => {
  it('continues as new before its history grows long, keeping the hold and the timers', async () => {
    stubs.policy = { reverificationLeadMs: 30 * DAY, retentionMs: { rejected: 365 * DAY } };
    const { handle } = await startAftercare({ closed: await closed('rejected') });
    const { runId: firstRunId } = await handle.describe();
    await handle.executeUpdate(setLegalHoldUpdate, { args: [{ on: true, requestedBy: 'ops' }] });
    // Every closed onboarding is a signal and a policy read: batches of them until the run continued as new.
    let batch = 0;
    let state: AftercareState;
    let runId: string;
    do {
      batch += 1;
      for (let index = 0; index < 50; index += 1) {
        await handle.signal(
          onboardingClosedSignal,
          await closed('rejected', { runId: `r-${batch}-${index}` }),
        );
      }
      state = await stateWhen(
        handle,
        (s) => s.latest?.runId === `r-${batch}-49` && s.retentionDueAt !== undefined,
      );
      // Continuing as new waits for a workflow task without new signals: give it a moment.
      await new Promise((resolve) => setTimeout(resolve, 200));
      runId = (await handle.describe()).runId;
    } while (runId === firstRunId && batch < 80);
    expect(runId).not.toBe(firstRunId);
    const history = await env.client.workflow.getHandle(handle.workflowId, firstRunId).fetchHistory();
    expect(history.events?.length ?? 0).toBeLessThan(2_200);
    expect(state.legalHold).toMatchObject({ on: true, setBy: 'ops' });
    await handle.terminate('test finished');
    // Hundreds of signals, each a round trip in real time: about 5 s alone, over a minute on CI's loaded cores.
  }, 180_000);
});
