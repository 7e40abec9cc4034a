/**
 * The service as it runs in production, on this machine: a fresh Temporal dev server, the Ondato simulator
 * (no injected latency), the worker process and the API process listening on a real port, all configured
 * through the environment like `npm run worker` / `npm run api`. The simulator's webhooks go to the API;
 * the worker's callbacks go to a receiver in the benchmark process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { createDataConverter } from '../../codec/data-converter';
import { connectTemporalClient } from '../../composition/client';
import { loadConfig } from '../../config';
import { SimulatorControl } from '../../simulator/control-client';
import { ownLoopDelay } from '../measure/own-loop-delay';
import type { MeteredProcess } from '../measure/resource-meter';
import { say } from '../report/progress';
import { startCallbackReceiver, type CallbackReceiver } from './callback-receiver';
import { BENCH_CREDENTIALS } from './credentials';
import { startDevServer, type DevServer } from './dev-server';
import { freePort } from './free-port';
import { HttpClient } from './http-client';
import type { RunContext } from './run-context';
import { answers, printed, startServiceProcess, type ServiceProcess } from './service-process';
import type { Scope } from './teardown';

export const SERVICE_TASK_QUEUE = 'bench-onboarding';

export interface ServiceStack {
  devServer: DevServer;
  /** A client of the service's dev server with the service's data converter (payloads encrypted as the API does). */
  client: Client;
  dataConverter: DataConverter;
  api: ServiceProcess;
  worker: ServiceProcess;
  simulator: ServiceProcess;
  apiUrl: string;
  simulatorUrl: string;
  /** Keep-alive client of the API. */
  http: HttpClient;
  control: SimulatorControl;
  callbacks: CallbackReceiver;
  /** Every process of the stack, and the benchmark itself, for resource readings. */
  processes(): MeteredProcess[];
}

/** The configuration every service process gets, as environment variables (see config/env.ts). */
export interface ServiceEnvInput {
  temporalAddress: string;
  temporalNamespace: string;
  apiPort: number;
  simulatorPort: number;
  callbackUrl: string;
  documentDir: string;
  documentBytes: number;
  logLevel: string;
  bundlePath?: string;
}

/** The worker's Node flags in docker-compose.yml and the Kubernetes manifests. */
export const WORKER_NODE_OPTIONS = '--max-old-space-size=384';

export function serviceEnv(input: ServiceEnvInput): Record<string, string> {
  return {
    NODE_ENV: 'production',
    // As the image sets it (Dockerfile): two malloc arenas keep a worker's RSS down.
    MALLOC_ARENA_MAX: '2',
    LOG_LEVEL: input.logLevel,
    TEMPORAL_ADDRESS: input.temporalAddress,
    TEMPORAL_NAMESPACE: input.temporalNamespace,
    TEMPORAL_TASK_QUEUE: SERVICE_TASK_QUEUE,
    ...(input.bundlePath ? { WORKFLOW_BUNDLE_PATH: input.bundlePath } : {}),
    WORKER_SHUTDOWN_GRACE_MS: '2000',
    API_HOST: '127.0.0.1',
    API_PORT: String(input.apiPort),
    API_KEYS: BENCH_CREDENTIALS.apiKey,
    ONDATO_ENV: 'simulator',
    ONDATO_CLIENT_ID: BENCH_CREDENTIALS.ondatoClientId,
    ONDATO_CLIENT_SECRET: BENCH_CREDENTIALS.ondatoClientSecret,
    SIMULATOR_HOST: '127.0.0.1',
    SIMULATOR_PORT: String(input.simulatorPort),
    SIMULATOR_WEBHOOK_URL: `http://127.0.0.1:${input.apiPort}/webhooks/ondato`,
    // Ondato's real schedule: a 30 s response timeout, a failed delivery retried after 10 s. A compressed
    // schedule would time out (1 s) and redeliver under load, which real Ondato would not.
    SIMULATOR_WEBHOOK_TIME_SCALE: '1',
    SIMULATOR_DOCUMENT_BYTES: String(input.documentBytes),
    WEBHOOK_USERNAME: BENCH_CREDENTIALS.webhookUsername,
    WEBHOOK_PASSWORD: BENCH_CREDENTIALS.webhookPassword,
    CALLBACK_URL: input.callbackUrl,
    CALLBACK_SECRET: BENCH_CREDENTIALS.callbackSecret,
    // The receiver listens on loopback in this process.
    CALLBACK_ALLOW_PRIVATE_TARGETS: 'true',
    DOCUMENT_DIR: input.documentDir,
    // Fresh sessions per benchmark; never the developer's .data/simulator.json.
    SIMULATOR_STATE_FILE: 'none',
  };
}

/** The simulator stands in for Ondato: silent, so its access log is not counted as the service's cost. */
export function startSimulatorProcess(
  scope: Scope,
  context: RunContext,
  env: Record<string, string>,
): Promise<ServiceProcess> {
  return startServiceProcess(scope, {
    name: 'simulator',
    entry: 'simulator/main.ts',
    env: { ...env, LOG_LEVEL: 'silent' },
    logDir: context.logDir,
    ready: answers(`http://127.0.0.1:${env.SIMULATOR_PORT}/healthz`),
  });
}

export async function startServiceStack(
  scope: Scope,
  context: RunContext,
  options: { documentBytes: number },
): Promise<ServiceStack> {
  const began = Date.now();
  const devServer = await startDevServer(scope);
  const callbacks = await startCallbackReceiver(scope, BENCH_CREDENTIALS.callbackSecret);
  const documentDir = mkdtempSync(path.join(context.workDir, 'documents-'));
  scope.defer('stored documents', () => rmSync(documentDir, { recursive: true, force: true }));
  const [apiPort, simulatorPort] = await Promise.all([freePort(), freePort()]);
  const env = serviceEnv({
    temporalAddress: devServer.address,
    temporalNamespace: devServer.namespace,
    apiPort,
    simulatorPort,
    callbackUrl: callbacks.url,
    documentDir,
    documentBytes: options.documentBytes,
    logLevel: context.logLevel,
    bundlePath: context.serviceBundlePath,
  });
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const simulatorUrl = `http://127.0.0.1:${simulatorPort}`;

  const [simulator, worker, api] = await Promise.all([
    startSimulatorProcess(scope, context, env),
    startServiceProcess(scope, {
      name: 'worker',
      entry: 'workers/main.ts',
      // The deploy manifests' heap bound unless an experiment sets its own options.
      env: { ...env, NODE_OPTIONS: context.workerNodeOptions || WORKER_NODE_OPTIONS },
      logDir: context.logDir,
      ready: printed(/polling/),
    }),
    startServiceProcess(scope, {
      name: 'api',
      entry: 'api/main.ts',
      env,
      logDir: context.logDir,
      ready: answers(`${apiUrl}/healthz`),
    }),
  ]);

  const http = new HttpClient(apiUrl);
  scope.defer('the API client', () => http.close());
  const benchConfig = loadConfig(env);
  const dataConverter = createDataConverter(benchConfig);
  // The bench's own client comes from the same composition root as the API's.
  const temporal = await connectTemporalClient(benchConfig);
  scope.defer('the bench Temporal client', () => temporal.close());
  say(
    `  service stack up in ${((Date.now() - began) / 1000).toFixed(1)} s (dev server, simulator, worker, API)`,
  );
  return {
    devServer,
    client: temporal.client,
    dataConverter,
    api,
    worker,
    simulator,
    apiUrl,
    simulatorUrl,
    http,
    control: new SimulatorControl(simulatorUrl),
    callbacks,
    processes: () => [
      api,
      worker,
      { name: 'temporal', pid: devServer.pid },
      simulator,
      { name: 'bench', pid: process.pid, loopDelay: ownLoopDelay },
    ],
  };
}
