/**
 * The worker process (`npm run worker`). Stops gracefully on SIGINT/SIGTERM: it stops polling, lets running
 * activities finish within WORKER_SHUTDOWN_GRACE_MS, then exits. Anything unfinished is retried by Temporal on
 * another worker or after a restart, so nothing is lost.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../activities';
import { createDataConverter } from '../codec/data-converter';
import { loadConfig } from '../config/env';
import { createLogger } from '../observability/logger';
import { installRuntimeLogging } from '../observability/runtime-logger';
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
  const logger = createLogger({ level: env.LOG_LEVEL, service: 'onboarding-worker' });
  // Before any connection: the SDK's own logs (worker, activities, workflows, core) go through the same logger.
  installRuntimeLogging(logger.child({ component: 'temporal' }));
  const bundlePath =
    env.WORKFLOW_BUNDLE_PATH ?? (existsSync(DEFAULT_BUNDLE_PATH) ? DEFAULT_BUNDLE_PATH : undefined);
  const connection = await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS });
  try {
    const worker = await createOnboardingWorker({
      connection,
      namespace: env.TEMPORAL_NAMESPACE,
      taskQueue: env.TEMPORAL_TASK_QUEUE,
      activities: createActivities(activityDepsFromConfig(config)),
      workflowBundlePath: bundlePath,
      shutdownGraceMs: env.WORKER_SHUTDOWN_GRACE_MS,
      maxCachedWorkflows: env.WORKER_MAX_CACHED_WORKFLOWS,
      dataConverter: createDataConverter(config),
    });
    logger.info(
      {
        taskQueue: env.TEMPORAL_TASK_QUEUE,
        temporal: env.TEMPORAL_ADDRESS,
        bundle: bundlePath ? 'pre-built' : 'bundled at start',
        codecKeys: config.codec.keyRing.keyIds,
        activeKeyId: config.codec.keyRing.activeKeyId,
      },
      'worker polling',
    );
    // Worker.run() resolves after SIGINT/SIGTERM once the grace period allowed running work to finish.
    await worker.run();
    logger.info('worker stopped');
  } finally {
    await connection.close();
  }
}

main().catch((error: unknown) => {
  // Also configuration errors, before any logger exists: one plain line for a human (messages carry no secrets).
  process.stderr.write(`[worker] fatal: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
