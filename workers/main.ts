/**
 * The worker process (`npm run worker`). Stops gracefully on SIGINT/SIGTERM: it stops polling, lets running
 * activities finish within WORKER_SHUTDOWN_GRACE_MS, then exits. Anything unfinished is retried by Temporal on
 * another worker or after a restart, so nothing is lost.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../activities';
import { loadConfig } from '../config/env';
import { activityDepsFromConfig } from './activity-deps';
import { createOnboardingWorker } from './onboarding-worker';

/**
 * `npm run build` writes the bundle to dist/workflow-bundle.js, beside the compiled dist/workers/: compiled
 * (production) starts use it; `tsx` starts from source find none and bundle at start.
 */
const DEFAULT_BUNDLE_PATH = path.resolve(__dirname, '..', 'workflow-bundle.js');

async function main(): Promise<void> {
  const config = loadConfig();
  const { env } = config;
  const bundlePath = env.WORKFLOW_BUNDLE_PATH ?? (existsSync(DEFAULT_BUNDLE_PATH) ? DEFAULT_BUNDLE_PATH : undefined);
  const connection = await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS });
  try {
    const worker = await createOnboardingWorker({
      connection,
      namespace: env.TEMPORAL_NAMESPACE,
      taskQueue: env.TEMPORAL_TASK_QUEUE,
      activities: createActivities(activityDepsFromConfig(config)),
      workflowBundlePath: bundlePath,
      shutdownGraceMs: env.WORKER_SHUTDOWN_GRACE_MS,
    });
    process.stderr.write(
      `[worker] polling ${env.TEMPORAL_TASK_QUEUE} on ${env.TEMPORAL_ADDRESS} (${bundlePath ? 'pre-built bundle' : 'bundled at start'})\n`,
    );
    // Worker.run() resolves after SIGINT/SIGTERM once the grace period allowed running work to finish.
    await worker.run();
  } finally {
    await connection.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`[worker] fatal: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
