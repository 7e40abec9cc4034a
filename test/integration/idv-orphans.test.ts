/**
 * Ondato has no idempotency key for creating a verification: a worker killed around the create call used to
 * leave a second IDV behind when the activity was retried. These tests SIGKILL a real worker process at the two
 * moments that matter, on the real dev server with the simulator, start a new worker, and count the IDVs the
 * simulator holds for the customer:
 * - after the created id reached the activity's heartbeat: the retry reuses that IDV (one IDV in all);
 * - while Ondato's answer was still on its way: nobody can name that IDV, so the run records a possible extra
 *   verification visibly; once a webhook names it, the run redacts it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import {
  getStateQuery,
  ONBOARDING_WORKFLOW_TYPE,
  onboardingWorkflowId,
  RUN_MEMO_KEYS,
  type OnboardingState,
  type OnboardingWorkflow,
} from '../../contract';
import { recordHistoryIfAsked } from '../helpers/histories';
import {
  createOnboardingTestEnv,
  FAST_TIMEOUTS,
  SAMPLE_REGISTRATION,
  type OnboardingTestEnv,
} from '../helpers/onboarding-env';
import { waitFor } from '../helpers/wait-for';

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '..', '..');
/** Short, so the retry starts soon after the kill and the created id leaves the heartbeat throttle quickly. */
const CREATE_HEARTBEAT_TIMEOUT_MS = 2_000;

function startWorkerProcess(env: Record<string, string>): ChildProcess {
  // node itself (with tsx as a loader), not the tsx wrapper: SIGKILL must hit the process that runs the worker.
  const child = spawn(process.execPath, ['--import', 'tsx', 'workers/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.resume();
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

describe('a worker killed around the create call', () => {
  let env: OnboardingTestEnv;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    env = await createOnboardingTestEnv({ runWorker: false });
  });
  afterEach(async () => {
    if (child) await kill(child);
    child = undefined;
    await env.stopWorker();
    await env.control.clearFaults();
  });
  afterAll(async () => {
    await env?.close();
  });

  /** Starts a run without waiting for its link (the worker that would answer is about to die). */
  async function startRun(): Promise<{ customerId: string; handle: WorkflowHandle<OnboardingWorkflow> }> {
    const customerId = `c-kill-${randomUUID().slice(0, 8)}`;
    const handle = await env.client.workflow.start<OnboardingWorkflow>(ONBOARDING_WORKFLOW_TYPE, {
      workflowId: onboardingWorkflowId(customerId),
      taskQueue: env.taskQueue,
      args: [
        {
          customerId,
          registration: SAMPLE_REGISTRATION,
          timeouts: { ...FAST_TIMEOUTS, createHeartbeatTimeoutMs: CREATE_HEARTBEAT_TIMEOUT_MS },
        },
      ],
    });
    return { customerId, handle };
  }

  async function idvsOf(customerId: string) {
    return env.control.verifications({ externalReferenceId: customerId });
  }

  async function awaitingCustomer(handle: WorkflowHandle<OnboardingWorkflow>): Promise<OnboardingState> {
    return waitFor(
      async () => {
        const state = await handle.query(getStateQuery);
        return state.stage === 'awaiting_customer' ? state : undefined;
      },
      { timeoutMs: 60_000, what: 'awaiting_customer' },
    );
  }

  /** The create activity's latest heartbeat details, as the server holds them (decoded with the test keys). */
  async function createHeartbeat(handle: WorkflowHandle): Promise<{ createdIdvIds?: string[] } | undefined> {
    const { raw } = await handle.describe();
    const pending = raw.pendingActivities?.find(
      (activity) => activity.activityType?.name === 'createVerification',
    );
    const payloads = pending?.heartbeatDetails?.payloads;
    if (!payloads?.length) return undefined;
    return decodeFromPayloadsAtIndex(env.client.options.loadedDataConverter, 0, payloads);
  }

  it('after the created id was heartbeated: the retry reuses that IDV, one IDV in all', async () => {
    child = startWorkerProcess(env.workerProcessEnv);
    // The create call's own check of the new IDV hangs: the kill lands after Ondato answered.
    await env.control.setFault({ route: 'getIdv', mode: 'latency', latencyMs: 60_000, times: 1 });
    const { customerId, handle } = await startRun();

    const heartbeat = await waitFor(
      async () => {
        const details = await createHeartbeat(handle);
        return details?.createdIdvIds?.length ? details : undefined;
      },
      { timeoutMs: 30_000, what: 'the created id in the heartbeat' },
    );
    const createdId = heartbeat.createdIdvIds?.[0];
    await kill(child);
    expect((await idvsOf(customerId)).map((idv) => idv.id)).toEqual([createdId]);

    await env.control.clearFaults();
    await env.startWorker();
    const state = await awaitingCustomer(handle);
    expect(state.idvId).toBe(createdId);
    expect(state.createdIdvIds).toEqual([createdId]);
    expect(state.extraVerifications).toBeUndefined();
    expect((await idvsOf(customerId)).map((idv) => idv.id)).toEqual([createdId]);

    await env.control.complete(createdId as string, { outcome: 'approved' });
    expect((await handle.result()).outcome).toBe('approved');
  });

  it('while Ondato’s answer was on its way: the extra IDV is recorded, then redacted once a webhook names it', async () => {
    child = startWorkerProcess(env.workerProcessEnv);
    // Ondato creates the session at once but its answer takes a while: the kill lands in between.
    await env.control.setFault({ route: 'createIdv', mode: 'lateAnswer', latencyMs: 30_000, times: 1 });
    const { customerId, handle } = await startRun();
    const [orphan] = await waitFor(
      async () => {
        const idvs = await idvsOf(customerId);
        return idvs.length > 0 ? idvs : undefined;
      },
      { timeoutMs: 30_000, what: 'the first IDV at the simulator' },
    );
    await kill(child);

    await env.control.clearFaults();
    await env.startWorker();
    const state = await awaitingCustomer(handle);
    // Ondato has no idempotency key: the retry had to create a second IDV. The run says so.
    expect((await idvsOf(customerId)).length).toBe(2);
    expect(state.idvId).not.toBe(orphan.id);
    expect(state.extraVerifications).toEqual([
      expect.objectContaining({ origin: 'intent_only', disposition: 'unknown_id' }),
    ]);
    expect(state.extraVerifications?.[0].idvId).toBeUndefined();
    const memo = await waitFor(async () => {
      const current = (await handle.describe()).memo ?? {};
      return RUN_MEMO_KEYS.extraVerifications in current ? current : undefined;
    }).catch(async () => (await handle.describe()).memo);
    expect(memo?.[RUN_MEMO_KEYS.extraVerifications]).toBe(1);

    // A webhook names the extra IDV (our reference, not the run's IDV): the run redacts it.
    await env.control.complete(orphan.id, { outcome: 'aborted' });
    const redacted = await waitFor(
      async () => {
        const extra = (await idvsOf(customerId)).find((idv) => idv.id === orphan.id);
        return extra?.redactedUtc ? extra : undefined;
      },
      { timeoutMs: 30_000, what: 'the extra IDV redacted' },
    );
    expect(redacted.redactionRequestedUtc).not.toBeNull();
    const after = await handle.query(getStateQuery);
    expect(after.stage).toBe('awaiting_customer');
    expect(after.extraVerifications).toEqual([
      expect.objectContaining({ origin: 'intent_only', disposition: 'unknown_id' }),
      expect.objectContaining({ idvId: orphan.id, origin: 'webhook', disposition: 'redaction_requested' }),
    ]);
    // The run's own IDV is untouched and still leads to a decision.
    const own = (await idvsOf(customerId)).find((idv) => idv.id === after.idvId);
    expect(own?.redactionRequestedUtc).toBeNull();
    await env.control.complete(after.idvId as string, { outcome: 'approved' });
    expect((await handle.result()).outcome).toBe('approved');
    await recordHistoryIfAsked('extra-verification-redacted', handle);
  });
});
