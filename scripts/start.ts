/**
 * `npm start`: the whole service on this machine, no Docker: the Temporal dev server (persistent, with its Web
 * UI), the worker, the API and, unless real Ondato is configured, the Ondato simulator with its webhooks wired
 * to the API. Ctrl-C (or SIGTERM) stops everything; the next start reuses the data in .data/.
 */
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import { createApp } from '../api/app';
import { connectTemporalClient } from '../composition/client';
import { createOnboardingWorker } from '../composition/worker';
import { DEV_DEFAULTS, loadConfig } from '../config';
import { createLogger } from '../observability/logger';
import { installRuntimeLogging } from '../observability/runtime-logger';
import { simulatorOptionsFromConfig } from '../simulator/options-from-config';
import { startSimulator, type RunningSimulator } from '../simulator/server';
import { startDevServer, type RunningDevServer } from './dev-server';
import { describeDeployment, setCurrentBuild, waitForBuild } from './worker-deployment';
import { ensureTemporalCli } from './temporal-cli';

const startedAt = Date.now();
const say = (line: string): void => {
  process.stderr.write(`[start] ${line}\n`);
};

function splitAddress(address: string): { host: string; port: number } {
  const separator = address.lastIndexOf(':');
  return { host: address.slice(0, separator), port: Number(address.slice(separator + 1)) };
}

function codecAccess(access: string): string {
  return access === 'open'
    ? 'open: no CODEC_ENDPOINT_TOKENS, simulator mode'
    : access === 'tokens'
      ? 'bearer token'
      : 'disabled';
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
  // The local stack with the simulator is all loopback, so a callback receiver there is too (real Ondato: no).
  if ((process.env.ONDATO_ENV ?? 'simulator') === 'simulator') {
    process.env.CALLBACK_ALLOW_PRIVATE_TARGETS ??= 'true';
  }
  const config = loadConfig();
  const { api, temporal } = config;
  const logger = createLogger({ level: config.logLevel, service: 'onboarding' });
  // The SDK logs through the same logger, warnings and up (at info it reports every worker state change). The
  // stack handles signals itself, so it can stop the parts in order.
  installRuntimeLogging(
    logger.child(
      { component: 'temporal' },
      { level: logger.isLevelEnabled('warn') ? 'warn' : config.logLevel },
    ),
    { shutdownSignals: [] },
  );
  const apiUrl = api.publicUrl;

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
  // `on`, not `once`: the same signal often arrives twice (from the terminal and relayed by npm/tsx), and a
  // second one must not fall through to the default action and kill the stack halfway through stopping.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
    process.on(signal, () => void stopAll(signal, 0));

  try {
    const cli = await ensureTemporalCli(process.env, say);
    const { host, port } = splitAddress(temporal.address);
    const devServer: RunningDevServer = await startDevServer({
      cliPath: cli.path,
      dbFile: temporal.devServer.dbFile,
      ip: host,
      port,
      uiPort: temporal.devServer.uiPort,
      namespace: temporal.namespace,
      // The UI (in the browser) sends encrypted payloads to the API's codec endpoint to show them decrypted.
      uiCodecEndpoint: `${apiUrl}/codec`,
      log: say,
    });
    stops.push(() => devServer.stop());

    let simulator: RunningSimulator | undefined;
    if (config.ondato.usesSimulator) {
      simulator = await startSimulator(
        simulatorOptionsFromConfig(config, (line) => logger.debug({ component: 'ondato-simulator' }, line)),
      );
      stops.push(() => (simulator as RunningSimulator).close());
    }

    const { worker, deployment, close: closeWorkerConnection } = await createOnboardingWorker(config);
    stops.push(closeWorkerConnection);
    const workerRun = worker.run();
    stops.push(async () => {
      worker.shutdown();
      await workerRun;
    });

    const temporalClient = await connectTemporalClient(config);
    stops.push(() => temporalClient.close());
    if (deployment) {
      // Versioning on: this stack's worker is its dev server's only one, so its build becomes current (new runs
      // would otherwise wait for a build that no one makes current). Deploys use `npm run rollout` instead.
      await waitForBuild(temporalClient.client, deployment, temporal.taskQueue);
      const status = await describeDeployment(temporalClient.client, deployment.deploymentName);
      if (status?.currentBuildId !== deployment.buildId) {
        await setCurrentBuild(temporalClient.client, deployment);
        say(`worker build ${deployment.buildId} is now current in ${deployment.deploymentName}`);
      }
    }
    const app = createApp({ temporal: temporalClient.client, config, logger });
    const server = await listen(app, api.port, api.host);
    stops.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );
    workerRun.catch((error: unknown) => void stopAll(`worker failed: ${String(error)}`, 1));

    const lines = [
      '',
      `Ondato onboarding is running (ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s)`,
      // Only the development key is shown: a configured key is a secret and stays out of the terminal.
      `  API          ${apiUrl}        (API key: ${api.keys.includes(DEV_DEFAULTS.apiKey) ? DEV_DEFAULTS.apiKey : 'one of API_KEYS'})`,
      `  API docs     ${apiUrl}/docs`,
      `  Temporal UI  ${devServer.uiUrl}   (payloads decrypted through ${apiUrl}/codec, ${codecAccess(config.codec.endpointAccess)})`,
      simulator
        ? `  Ondato       simulator at ${simulator.url}   (controls: ${simulator.url}/_sim, see docs/simulator.md)`
        : `  Ondato       ${config.ondato.environment} (${config.ondato.hosts.idvApiUrl})`,
      '',
      '  Try it:      npm run demo -- --customer c-42   (--outcome approved|rejected|review|ondato-review, --wait)',
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
