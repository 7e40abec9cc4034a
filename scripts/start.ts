/**
 * `npm start`: the whole service on this machine, no Docker: the Temporal dev server (persistent, with its Web
 * UI), the worker, the API and, unless real Ondato is configured, the Ondato simulator with its webhooks wired
 * to the API. Ctrl-C (or SIGTERM) stops everything; the next start reuses the data in .data/.
 */
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import pino from 'pino';
import { createActivities } from '../activities';
import { createApp } from '../api/app';
import { loadConfig } from '../config/env';
import { simulatorOptionsFromConfig } from '../simulator/options-from-config';
import { startSimulator, type RunningSimulator } from '../simulator/server';
import { activityDepsFromConfig } from '../workers/activity-deps';
import { createOnboardingWorker } from '../workers/onboarding-worker';
import { startDevServer, type RunningDevServer } from './dev-server';
import { ensureTemporalCli } from './temporal-cli';

const startedAt = Date.now();
const say = (line: string): void => {
  process.stderr.write(`[start] ${line}\n`);
};

function splitAddress(address: string): { host: string; port: number } {
  const separator = address.lastIndexOf(':');
  return { host: address.slice(0, separator), port: Number(address.slice(separator + 1)) };
}

function listen(app: ReturnType<typeof createApp>, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, () => resolve(server));
    server.once('error', reject);
  });
}

async function main(): Promise<void> {
  // A local .env is optional; variables already set in the shell win over it.
  if (existsSync('.env')) process.loadEnvFile('.env');
  const config = loadConfig();
  const { env } = config;
  // The stack handles signals itself, so it can stop the parts in order.
  Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
  const logger = pino({ level: env.LOG_LEVEL, base: { service: 'onboarding' } });

  const stops: Array<() => Promise<unknown>> = [];
  let stopping = false;
  const stopAll = async (reason: string, exitCode: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    say(`stopping (${reason})...`);
    for (const stop of stops.reverse()) {
      await stop().catch((error: unknown) => say(`while stopping: ${String(error)}`));
    }
    say('stopped');
    process.exit(exitCode);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => void stopAll(signal, 0));

  try {
    const cli = await ensureTemporalCli(process.env, say);
    const { host, port } = splitAddress(env.TEMPORAL_ADDRESS);
    const devServer: RunningDevServer = await startDevServer({
      cliPath: cli.path,
      dbFile: env.TEMPORAL_DB_FILE,
      ip: host,
      port,
      uiPort: env.TEMPORAL_UI_PORT,
      namespace: env.TEMPORAL_NAMESPACE,
      log: say,
    });
    stops.push(() => devServer.stop());

    let simulator: RunningSimulator | undefined;
    if (config.usesSimulator) {
      simulator = await startSimulator(
        simulatorOptionsFromConfig(config, (line) => logger.debug({ component: 'ondato-simulator' }, line)),
      );
      stops.push(() => (simulator as RunningSimulator).close());
    }

    const nativeConnection = await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS });
    stops.push(() => nativeConnection.close());
    const worker = await createOnboardingWorker({
      connection: nativeConnection,
      namespace: env.TEMPORAL_NAMESPACE,
      taskQueue: env.TEMPORAL_TASK_QUEUE,
      activities: createActivities(activityDepsFromConfig(config)),
      workflowBundlePath: env.WORKFLOW_BUNDLE_PATH,
      shutdownGraceMs: env.WORKER_SHUTDOWN_GRACE_MS,
    });
    const workerRun = worker.run();
    stops.push(async () => {
      worker.shutdown();
      await workerRun;
    });

    const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS });
    stops.push(() => connection.close());
    const app = createApp({ temporal: new Client({ connection, namespace: env.TEMPORAL_NAMESPACE }), config, logger });
    const server = await listen(app, env.API_PORT, env.API_HOST);
    stops.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );
    workerRun.catch((error: unknown) => void stopAll(`worker failed: ${String(error)}`, 1));

    const apiUrl = env.API_PUBLIC_URL ?? `http://${env.API_HOST}:${env.API_PORT}`;
    const lines = [
      '',
      `Ondato onboarding is running (ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s)`,
      `  API          ${apiUrl}        (API key: ${env.API_KEYS[0] ?? 'set API_KEYS'})`,
      `  API docs     ${apiUrl}/docs`,
      `  Temporal UI  ${devServer.uiUrl}`,
      simulator
        ? `  Ondato       simulator at ${simulator.url}`
        : `  Ondato       ${env.ONDATO_ENV} (${config.ondatoHosts.idvApiUrl})`,
      '',
      '  Try it:      npm run demo -- --customer c-42',
      '  Stop:        Ctrl-C',
      '',
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } catch (error) {
    say(`failed: ${error instanceof Error ? error.message : String(error)}`);
    await stopAll('start failed', 1);
  }
}

void main();
