/**
 * Worker Versioning on the real dev server, with the service's own worker (composition root, real activities,
 * the Ondato simulator): a run started on build A stays on A while new runs go to B, B can be rolled back, and
 * the drain check sees A's run until it closes. The sequence is printed, so a run of this file documents it.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { decodeVersioningBehavior } from '@temporalio/common';
import type { Worker } from '@temporalio/worker';
import { createOnboardingWorker } from '../../composition/worker';
import { resolveWorkerDeployment, type WorkerDeployment } from '../../composition/worker-versioning';
import { loadConfig } from '../../config';
import { withoutPinnedRuns } from '../../scripts/replay-gate';
import {
  describeDeployment,
  openPinnedRuns,
  setCurrentBuild,
  setRampingBuild,
  waitForBuild,
} from '../../scripts/worker-deployment';
import { createOnboardingTestEnv, type OnboardingTestEnv } from '../helpers/onboarding-env';
import { waitFor } from '../helpers/wait-for';

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '..', '..');

const sequence: string[] = [];
const step = (line: string): void => {
  sequence.push(`${((Date.now() - startedAt) / 1000).toFixed(1).padStart(5)} s  ${line}`);
};
const startedAt = Date.now();

/** The build id each workflow task of a run was completed by, in history order. */
async function workflowTaskBuilds(handle: WorkflowHandle): Promise<string[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? [])
    .map((event) => event.workflowTaskCompletedEventAttributes)
    .filter((attributes) => attributes != null)
    .map((attributes) => attributes.deploymentVersion?.buildId ?? '(unversioned)');
}

async function pinnedBuild(handle: WorkflowHandle): Promise<{ behavior: string; buildId?: string }> {
  const { raw } = await handle.describe();
  const info = raw.workflowExecutionInfo?.versioningInfo;
  return {
    behavior: decodeVersioningBehavior(info?.behavior) ?? 'unversioned',
    buildId: info?.deploymentVersion?.buildId ?? undefined,
  };
}

describe('Worker Versioning: pinned runs, rollout and rollback', () => {
  let env: OnboardingTestEnv;
  const workers: Array<{ worker: Worker; run: Promise<void>; close(): Promise<void> }> = [];
  const handles: WorkflowHandle[] = [];
  const deploymentName = `onboarding-vt-${randomUUID().slice(0, 8)}`;

  async function startBuild(buildId: string): Promise<WorkerDeployment> {
    const config = loadConfig({
      ...env.workerProcessEnv,
      TEMPORAL_WORKER_VERSIONING: 'on',
      TEMPORAL_DEPLOYMENT_NAME: deploymentName,
      TEMPORAL_BUILD_ID: buildId,
    });
    const { worker, deployment, close } = await createOnboardingWorker(config);
    workers.push({ worker, run: worker.run(), close });
    expect(deployment).toEqual(resolveWorkerDeployment(config.temporal.worker.versioning));
    await waitForBuild(env.client, deployment as WorkerDeployment, env.taskQueue);
    step(`worker of build ${buildId} polling`);
    return deployment as WorkerDeployment;
  }

  async function startRun(label: string): Promise<{ handle: WorkflowHandle; idvId: string }> {
    const { handle, link } = await env.start({ customerId: `vt-${label}-${randomUUID().slice(0, 6)}` });
    handles.push(handle);
    expect(link.stage).toBe('awaiting_customer');
    return { handle, idvId: link.idvId as string };
  }

  /** `npm run rollout -- ...` as an operator runs it (a separate process, configured by the environment). */
  function rollout(...args: string[]): Promise<{ exitCode: number; output: string }> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', 'scripts/rollout.ts', ...args],
        {
          cwd: ROOT,
          env: { ...process.env, ...env.workerProcessEnv, TEMPORAL_DEPLOYMENT_NAME: deploymentName },
        },
        (error, stdout, stderr) => {
          const exitCode = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
          resolve({ exitCode, output: `${stdout}${stderr}`.trim() });
        },
      );
    });
  }

  async function drainCount(deployment: WorkerDeployment, expected: number): Promise<number> {
    // Visibility lags the run's state by a moment.
    const { count } = await waitFor(
      async () => {
        const open = await openPinnedRuns(env.client, deployment);
        return open.count === expected ? open : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 250, what: `${expected} open run(s) pinned to ${deployment.buildId}` },
    );
    return count;
  }

  beforeAll(async () => {
    env = await createOnboardingTestEnv({ runWorker: false });
  });

  afterAll(async () => {
    for (const handle of handles) await handle.terminate('test over').catch(() => undefined);
    for (const { worker, run, close } of workers) {
      worker.shutdown();
      await run;
      await close();
    }
    await env?.close();
    process.stdout.write(`\n[versioning] sequence (deployment ${deploymentName}):\n${sequence.join('\n')}\n`);
  });

  let buildA: WorkerDeployment;

  it('moves a run started before versioning was turned on to the first current build', async () => {
    await env.startWorker();
    const { handle: run0, idvId: run0IdvId } = await startRun('r0');
    await env.stopWorker();
    expect(await pinnedBuild(run0)).toEqual({ behavior: 'unversioned', buildId: undefined });
    step(`run0 ${run0.workflowId} started by an unversioned worker, which then stopped`);

    buildA = await startBuild('build-a');
    await setCurrentBuild(env.client, buildA);
    step('current := build-a');

    await env.control.complete(run0IdvId, { outcome: 'approved' });
    expect(await run0.result()).toMatchObject({ outcome: 'approved' });
    const builds = await workflowTaskBuilds(run0);
    const after = await pinnedBuild(run0);
    step(
      `run0 finished on build-a (then ${after.behavior} to ${after.buildId}): its workflow tasks ran on ${builds.join(', ')}`,
    );
    expect(builds[0]).toBe('(unversioned)');
    expect(builds.at(-1)).toBe('build-a');
    // It lands on the first current build and is pinned there: that build must replay it (the gate's job).
    expect(after).toEqual({ behavior: 'PINNED', buildId: 'build-a' });
  });

  it('keeps a run on the build that started it, sends new runs to the current build, and rolls back', async () => {
    const { handle: run1, idvId: run1IdvId } = await startRun('r1');
    expect(await pinnedBuild(run1)).toEqual({ behavior: 'PINNED', buildId: 'build-a' });
    step(`run1 ${run1.workflowId} started: PINNED to build-a, awaiting the customer`);

    const buildB = await startBuild('build-b');
    await setCurrentBuild(env.client, buildB);
    const described = await describeDeployment(env.client, deploymentName);
    expect(described?.currentBuildId).toBe('build-b');
    step(
      `current := build-b (deployment: ${described?.builds.map((build) => `${build.buildId} ${build.status}`).join(', ')})`,
    );

    const { handle: run2 } = await startRun('r2');
    expect(await pinnedBuild(run2)).toEqual({ behavior: 'PINNED', buildId: 'build-b' });
    step(`run2 ${run2.workflowId} started: PINNED to build-b`);

    expect(await drainCount(buildA, 1)).toBe(1);
    const notDrained = await rollout('drained', 'build-a');
    expect(notDrained.output).toContain(run1.workflowId);
    expect(notDrained.exitCode).toBe(1);
    step(`rollout drained build-a -> exit ${notDrained.exitCode}: ${notDrained.output.split('\n')[0]}`);

    // The customer finishes run1: the webhook signals it, and every task after that still runs on build A.
    await env.control.complete(run1IdvId, { outcome: 'approved' });
    expect(await run1.result()).toMatchObject({ outcome: 'approved' });
    const run1Builds = await workflowTaskBuilds(run1);
    expect(run1Builds.length).toBeGreaterThan(2);
    expect(new Set(run1Builds)).toEqual(new Set(['build-a']));
    step(
      `run1 signalled (webhook) and approved after build-b became current: its ${run1Builds.length} workflow tasks all ran on build-a`,
    );

    expect(await drainCount(buildA, 0)).toBe(0);
    // run1's close started the customer's aftercare run on build-a: it auto-upgrades, so it holds no build.
    const aftercare = env.client.workflow.getHandle(run1.workflowId.replace(/^onboarding-/, 'aftercare-'));
    await waitFor(
      async () => ((await pinnedBuild(aftercare)).behavior === 'AUTO_UPGRADE' ? true : undefined),
      {
        what: 'the aftercare run to auto-upgrade',
      },
    );
    const drained = await rollout('drained', 'build-a');
    expect(drained.exitCode).toBe(0);
    step(`rollout drained build-a -> exit ${drained.exitCode}: ${drained.output}`);

    const run2Builds = await workflowTaskBuilds(run2);
    expect(new Set(run2Builds)).toEqual(new Set(['build-b']));

    // Rollback: build A (still running) becomes current again; new runs go to A, run2 stays on B.
    await setCurrentBuild(env.client, buildA);
    step('rollback: current := build-a');
    const { handle: run3 } = await startRun('r3');
    expect(await pinnedBuild(run3)).toEqual({ behavior: 'PINNED', buildId: 'build-a' });
    expect(await pinnedBuild(run2)).toEqual({ behavior: 'PINNED', buildId: 'build-b' });
    step(`run3 ${run3.workflowId} started: PINNED to build-a; run2 still PINNED to build-b`);
    expect(await drainCount(buildB, 1)).toBe(1);
    step('drain check build-b: 1 open pinned run (run2)');

    // A ramp sends a share of new runs to another build; at 100 % all of them, and ending it sends them back.
    await setRampingBuild(env.client, deploymentName, { buildId: 'build-b', percentage: 100 });
    const { handle: run4 } = await startRun('r4');
    expect(await pinnedBuild(run4)).toEqual({ behavior: 'PINNED', buildId: 'build-b' });
    step(`ramp build-b 100 %: run4 ${run4.workflowId} PINNED to build-b`);
    await setRampingBuild(env.client, deploymentName, undefined);
    const { handle: run5 } = await startRun('r5');
    expect(await pinnedBuild(run5)).toEqual({ behavior: 'PINNED', buildId: 'build-a' });
    step(`ramp off: run5 ${run5.workflowId} PINNED to build-a`);

    const status = await rollout('status');
    expect(status.exitCode).toBe(0);
    expect(status.output).toMatch(/build build-a: CURRENT.*, 2 open pinned run\(s\)/);
    expect(status.output).toMatch(/build build-b: \w+.*, 2 open pinned run\(s\)/);
    step(`rollout status:\n${status.output}`);

    // The replay gate's --skip-pinned: none of the pinned runs would meet another build's code. (Onboarding runs:
    // run1's close started the customer's aftercare run, which auto-upgrades and so is replayed by the gate.)
    const onThisQueue = `TaskQueue = '${env.taskQueue}' AND WorkflowId != '${handles[0].workflowId}' AND WorkflowType = 'onboardingWorkflow'`;
    await waitFor(
      async () => ((await env.client.workflow.count(onThisQueue)).count === 5 ? true : undefined),
      { what: 'the five runs in visibility' },
    );
    expect((await env.client.workflow.count(withoutPinnedRuns(onThisQueue))).count).toBe(0);
    step('replay gate --skip-pinned selects 0 of the 5 pinned runs');
  });
});
