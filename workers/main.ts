/**
 * The worker process (`npm run worker`). Stops gracefully on SIGINT/SIGTERM: it stops polling, lets running
 * activities finish within WORKER_SHUTDOWN_GRACE_MS, then exits. Anything unfinished is retried by Temporal on
 * another worker or after a restart, so nothing is lost.
 */
import { NativeConnection } from '@temporalio/worker';
import { connectWithin, temporalConnectionOptions } from '../composition/connection';
import { assertNamespaceReady } from '../composition/namespace-check';
import { createOnboardingWorker } from '../composition/worker';
import { loadConfig, type AppConfig } from '../config';
import { createLogger } from '../observability/logger';
import { installRuntimeLogging } from '../observability/runtime-logger';
import { onboardingMetrics } from '../observability/metrics';
import { startMetricsServer, type MetricsServer } from '../observability/metrics-server';
import { startTracing } from '../observability/tracing';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, service: 'onboarding-worker' });
  // Before any connection: the SDK's own logs (worker, activities, workflows, core) go through the same logger.
  const { workerMetrics } = config.observability;
  installRuntimeLogging(logger.child({ component: 'temporal' }), {
    ...(workerMetrics.temporalPort !== undefined
      ? { prometheusBindAddress: `${workerMetrics.host}:${workerMetrics.temporalPort}` }
      : {}),
  });
  // Before the worker is built: it reads whether tracing is on.
  const tracing = startTracing(config.observability.tracing, 'onboarding-worker');
  const metricsServer: MetricsServer | undefined =
    workerMetrics.port !== undefined
      ? await startMetricsServer(onboardingMetrics(), { host: workerMetrics.host, port: workerMetrics.port })
      : undefined;
  const connection = await connectWithin(config.temporal, () =>
    NativeConnection.connect(temporalConnectionOptions(config.temporal)),
  );
  try {
    // Polling a namespace without the contract's search attributes would only fail every run: refuse instead.
    await assertNamespaceReady(connection, config.temporal.namespace);
    await runWorker(config, connection, logger);
  } finally {
    await connection.close();
    await metricsServer?.close();
    await tracing?.shutdown();
  }
}

async function runWorker(
  config: AppConfig,
  connection: NativeConnection,
  logger: ReturnType<typeof createLogger>,
): Promise<void> {
  const { worker, bundle, deployment, close } = await createOnboardingWorker(config, { connection });
  try {
    logger.info(
      {
        taskQueue: config.temporal.taskQueue,
        temporal: config.temporal.address,
        bundle,
        // Worker Versioning: the build this worker serves (absent when versioning is off).
        deployment,
        codecKeys: config.codec.keyRing.keyIds,
        activeKeyId: config.codec.keyRing.activeKeyId,
      },
      'worker polling',
    );
    // Worker.run() resolves after SIGINT/SIGTERM once the grace period allowed running work to finish.
    await worker.run();
    logger.info('worker stopped');
  } finally {
    await close();
  }
}

main().catch((error: unknown) => {
  // Also configuration errors, before any logger exists: one plain line for a human (messages carry no secrets).
  process.stderr.write(`[worker] fatal: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
