/**
 * Starts one real Temporal dev server (the CLI binary from `npm run setup`, never a download) and builds the
 * workflow bundle once for the whole jest run. Test files read both from the environment (see ./env.ts).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode } from '@temporalio/worker';
import { ensureTemporalCli } from '../../scripts/temporal-cli';
import { SEARCH_ATTRIBUTE_KEYS } from '../../contract';
import { devServerChildren, devServerRegistry } from '../../scripts/dev-server-registry';
import { HARNESS_ENV } from './env';

/** Servers of test runs, so the next run reaps those of a killed one. */
const registry = devServerRegistry('test');

interface HarnessState {
  env: TestWorkflowEnvironment;
  serverPids: number[];
}
const globalWithHarness = globalThis as typeof globalThis & { __onboardingHarness?: HarnessState };

export async function stopHarness(): Promise<void> {
  const state = globalWithHarness.__onboardingHarness;
  if (!state) return;
  globalWithHarness.__onboardingHarness = undefined;
  await state.env.teardown();
  for (const pid of state.serverPids) registry.unregister(pid);
}

export default async function globalSetup(): Promise<void> {
  const reaped = registry.reapOrphans();
  if (reaped > 0) process.stderr.write(`\n[harness] stopped ${reaped} dev server(s) left by a killed run\n`);

  const cli = await ensureTemporalCli();
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: cli.path },
      ip: '127.0.0.1',
      searchAttributes: [...SEARCH_ATTRIBUTE_KEYS],
    },
  });
  const serverPids = devServerChildren(process.pid);
  for (const pid of serverPids) registry.register(pid);
  globalWithHarness.__onboardingHarness = { env, serverPids };

  // Stop the server even when the run is interrupted (Ctrl-C, CI timeout) before jest reaches teardown.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      void stopHarness().finally(() => process.exit(130));
    });
  }

  const bundleDir = mkdtempSync(path.join(tmpdir(), 'onboarding-bundle-'));
  const bundlePath = path.join(bundleDir, 'workflow-bundle.js');
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    logger: { info() {}, warn() {}, error: console.error, debug() {}, trace() {}, log() {} },
  });
  writeFileSync(bundlePath, code);

  process.env[HARNESS_ENV.address] = env.address;
  process.env[HARNESS_ENV.namespace] = env.namespace ?? 'default';
  process.env[HARNESS_ENV.bundlePath] = bundlePath;
  process.env[HARNESS_ENV.cliPath] = cli.path;
}
