/**
 * `npm run replay`, the deploy gate, against live histories on the real dev server: runs of the service's own
 * worker (real activities, the Ondato simulator), some closed and one still waiting for its customer. The gate
 * passes on the working tree's workflow code and fails, naming every run and where it diverges, on a changed
 * copy (an extra activity call before the first step) bundled for the test.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { createDataConverter } from '../../codec/data-converter';
import { defaultReplayQuery, runReplayGate } from '../../scripts/replay-gate';
import { createOnboardingTestEnv, type OnboardingTestEnv } from '../helpers/onboarding-env';
import { waitFor } from '../helpers/wait-for';

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '..', '..');

/**
 * The released workflow with one change a developer might make: look the verification up before creating
 * it. Written outside the repository, so workflows/ is never edited.
 */
async function changedWorkflowBundle(dir: string): Promise<string> {
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  const entry = path.join(dir, 'changed-workflows.ts');
  writeFileSync(
    entry,
    [
      `import { proxyActivities } from '@temporalio/workflow';`,
      `import { onboardingWorkflow as released } from ${JSON.stringify(path.join(ROOT, 'workflows', 'onboarding'))};`,
      `const { getVerification } = proxyActivities({ startToCloseTimeout: '1 minute' });`,
      `export async function onboardingWorkflow(input: { customerId: string }) {`,
      `  await getVerification(input.customerId);`,
      `  return released(input as never);`,
      `}`,
      // The customer's aftercare and erasure runs (a closed onboarding hands over) as released.
      `export { aftercareWorkflow } from ${JSON.stringify(path.join(ROOT, 'workflows', 'aftercare'))};`,
      `export { erasureWorkflow } from ${JSON.stringify(path.join(ROOT, 'workflows', 'erasure'))};`,
      '',
    ].join('\n'),
  );
  const { code } = await bundleWorkflowCode({
    workflowsPath: entry,
    logger: { info() {}, warn() {}, error: console.error, debug() {}, trace() {}, log() {} },
  });
  const bundlePath = path.join(dir, 'changed-bundle.js');
  writeFileSync(bundlePath, code);
  return bundlePath;
}

describe('npm run replay (the deploy gate)', () => {
  let env: OnboardingTestEnv;
  let tempDir: string;
  let changedBundle: string;
  /** Runs the gate must name: two closed, one waiting for its customer. */
  const runs: Array<{ workflowId: string; runId: string }> = [];
  let waiting: WorkflowHandle;

  /** The gate as a deploy pipeline runs it: its own process, configured by the environment. */
  function runGate(args: string[]): { status: number | null; output: string; seconds: number } {
    const started = Date.now();
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/replay.ts', ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, ...env.workerProcessEnv, LOG_LEVEL: 'warn' },
      timeout: 90_000,
    });
    return {
      status: result.status,
      output: `${result.stdout}${result.stderr}`,
      seconds: (Date.now() - started) / 1000,
    };
  }

  beforeAll(async () => {
    env = await createOnboardingTestEnv();
    tempDir = mkdtempSync(path.join(tmpdir(), 'replay-gate-'));
    const bundling = changedWorkflowBundle(tempDir);

    const approved = await env.start({});
    const rejected = await env.start({});
    const open = await env.start({});
    waiting = open.handle;
    await env.control.complete(approved.link.idvId as string, { outcome: 'approved' });
    await env.control.complete(rejected.link.idvId as string, {
      outcome: 'rejected',
      statusReason: 'PoorPhotoQuality',
    });
    expect(await approved.handle.result()).toMatchObject({ outcome: 'approved' });
    expect(await rejected.handle.result()).toMatchObject({ outcome: 'rejected' });
    for (const started of [approved, rejected, open]) runs.push(started.link);
    changedBundle = await bundling;

    // The default query must see all three before the gate runs (visibility lags a moment behind). It also finds
    // the aftercare runs the two closed onboardings started; the gate replays those too.
    const query = `${defaultReplayQuery(env.taskQueue, 7)} AND WorkflowType = 'onboardingWorkflow'`;
    await waitFor(async () => ((await env.client.workflow.count(query)).count === 3 ? true : undefined), {
      what: 'three runs visible to the default query',
    });
  });

  afterAll(async () => {
    await waiting?.terminate('test over').catch(() => undefined);
    await env?.close();
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  });

  it('passes on the working tree’s workflow code (default query: open runs and the last 7 days)', () => {
    const gate = runGate([]);
    process.stdout.write(`\n[replay-gate] unchanged code, ${gate.seconds.toFixed(1)} s:\n${gate.output}`);
    expect(gate.output).toContain(`TaskQueue = '${env.taskQueue}'`);
    expect(gate.output).toMatch(/onboardingWorkflow: 3 replayed, 0 failed/);
    expect(gate.output).toContain('gate passed');
    expect(gate.status).toBe(0);
  });

  it('fails on a nondeterministic change, naming each run and its first diverging event', () => {
    const gate = runGate(['--bundle', changedBundle]);
    process.stdout.write(`\n[replay-gate] changed code, ${gate.seconds.toFixed(1)} s:\n${gate.output}`);
    for (const run of runs) expect(gate.output).toContain(`workflowId=${run.workflowId} runId=${run.runId}`);
    expect(gate.output).toMatch(/nondeterminism: first diverging event \d+ \(\w+\)/);
    expect(gate.output).toMatch(/onboardingWorkflow: 3 replayed, 3 failed/);
    expect(gate.status).toBe(1);
  });

  it('reports the failures as data too (in process, only the waiting run)', async () => {
    const report = await runReplayGate({
      client: env.client,
      query: `WorkflowId = '${waiting.workflowId}'`,
      workflowBundle: { codePath: changedBundle },
      dataConverter: createDataConverter(env.config),
    });
    expect(report.replayed).toBe(1);
    expect(report.failures).toEqual([
      expect.objectContaining({
        workflowId: waiting.workflowId,
        workflowType: 'onboardingWorkflow',
        kind: 'nondeterminism',
        divergingEvent: expect.objectContaining({ eventId: expect.any(Number) }),
      }),
    ]);
  });
});
