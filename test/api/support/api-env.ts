/**
 * The API under test, wired to real things over loopback: the shared Temporal dev server, the Ondato
 * simulator (delivering its webhooks to a listening instance of the app), a worker with the real activities,
 * and a stand-in product backend that records callbacks. Logs are captured so tests can check what they hold.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { Express } from 'express';
import type { Logger } from 'pino';
import { createApp } from '../../../api/app';
import { connectTemporalClient } from '../../../composition/client';
import { createOnboardingWorker } from '../../../composition/worker';
import { loadConfig, type AppConfig } from '../../../config';
import { createLogger } from '../../../observability/logger';
import { SimulatorControl } from '../../../simulator/control-client';
import { startSimulator, type RunningSimulator } from '../../../simulator/server';
import { harness } from '../../harness/env';
import { startCallbackReceiver, type CallbackReceiver } from '../../helpers/callback-receiver';
import { TEST_CODEC_ENV } from '../../helpers/codec-keys';

export const API_KEY = 'test-api-key';
/** An ops key (API_OPS_KEYS): review, cancel, retry, resume and list need one; API keys are not ops keys. */
export const OPS_KEY = 'test-ops-key';
/** The identity OPS_KEY is configured with (`identity:key`): decisions record it, not what a body claims. */
export const OPS_IDENTITY = 'ops-desk';
export const WEBHOOK_USER = 'ondato-hooks';
export const WEBHOOK_PASSWORD = 'hook-password';
export const CALLBACK_SECRET = 'callback-secret';
const SIMULATOR_CLIENT = { clientId: 'api-test-client', clientSecret: 'api-test-secret' } as const;

/** Seconds, not days: every wait in these tests is a real timer. */
export const FAST_TIMEOUTS = {
  customerDeadlineMs: 60_000,
  ondatoReviewDeadlineMs: 60_000,
  manualReviewEscalationMs: 60_000,
  pollIntervalMs: 2_000,
};

/** Distinctive values, so a test can prove none of them reaches a log line. */
export const REGISTRATION = {
  firstName: 'Ona',
  lastName: 'Zuikytė',
  dateOfBirth: '1988-02-29',
  email: 'ona.zuikyte@example.com',
  personalCode: '48802290000',
  phoneNumber: 37060012345,
  countryCode: 'LT',
};

export const basicAuth = (user = WEBHOOK_USER, password = WEBHOOK_PASSWORD): string =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
export const bearer = (key = API_KEY): string => `Bearer ${key}`;

export function uniqueCustomerId(prefix = 'c'): string {
  return `${prefix}-${randomUUID().slice(0, 12)}`;
}

export interface LogCapture {
  logger: Logger;
  lines: string[];
  text(): string;
}

/** The service's own logger (redaction included), writing into memory. */
export function captureLogs(): LogCapture {
  const lines: string[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: { write: (line: string) => void lines.push(line) },
  });
  return { logger, lines, text: () => lines.join('') };
}

/** The API's settings as environment variables, so they go through the real config schema. */
export function apiEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    API_KEYS: `other-key,${API_KEY}`,
    API_OPS_KEYS: `${OPS_IDENTITY}:${OPS_KEY}`,
    WEBHOOK_USERNAME: WEBHOOK_USER,
    WEBHOOK_PASSWORD: WEBHOOK_PASSWORD,
    API_START_WAIT_MS: '10000',
    API_TEMPORAL_TIMEOUT_MS: '3000',
    ...TEST_CODEC_ENV,
    ...overrides,
  };
}

export interface ApiTestEnv {
  /** Uses the API's data converter (test key A). */
  client: Client;
  app: Express;
  config: AppConfig;
  logs: LogCapture;
  simulator: RunningSimulator;
  control: SimulatorControl;
  callbacks: CallbackReceiver;
  /** Where the listening copy of the app receives the simulator's webhooks. */
  appUrl: string;
  close(): Promise<void>;
}

export async function createApiTestEnv(options: { env?: Record<string, string> } = {}): Promise<ApiTestEnv> {
  const { address, namespace, bundlePath } = harness();
  const callbacks = await startCallbackReceiver(CALLBACK_SECRET);
  const simulator = await startSimulator({ ...SIMULATOR_CLIENT, documentBytes: 16 * 1024 });
  const control = new SimulatorControl(simulator.url);
  const documentsDir = mkdtempSync(path.join(tmpdir(), 'api-test-documents-'));
  const config = loadConfig(
    apiEnv({
      TEMPORAL_ADDRESS: address,
      TEMPORAL_NAMESPACE: namespace,
      TEMPORAL_TASK_QUEUE: `api-test-${randomUUID()}`,
      ONDATO_ENV: 'simulator',
      SIMULATOR_HOST: '127.0.0.1',
      SIMULATOR_PORT: String(simulator.port),
      ONDATO_CLIENT_ID: SIMULATOR_CLIENT.clientId,
      ONDATO_CLIENT_SECRET: SIMULATOR_CLIENT.clientSecret,
      CALLBACK_SECRET,
      // The stand-in backend listens on loopback: allowed explicitly, as a deployment would.
      CALLBACK_ALLOWED_URLS: callbacks.url,
      CALLBACK_ALLOW_PRIVATE_TARGETS: 'true',
      DOCUMENT_DIR: documentsDir,
      WORKFLOW_BUNDLE_PATH: bundlePath,
      WORKER_SHUTDOWN_GRACE_MS: '1000',
      ...options.env,
    }),
  );
  const temporal = await connectTemporalClient(config);
  const { client } = temporal;
  const logs = captureLogs();
  const app = createApp({ temporal: client, config, logger: logs.logger });

  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const appUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await control.setWebhooks({
    url: `${appUrl}/webhooks/ondato`,
    username: WEBHOOK_USER,
    password: WEBHOOK_PASSWORD,
    hmacSecret: config.api.webhooks.hmacSecret ?? null,
    timeScale: 0.01,
  });

  const { worker, close: closeWorkerConnection } = await createOnboardingWorker(config);
  const running = worker.run();

  return {
    client,
    app,
    config,
    logs,
    simulator,
    control,
    callbacks,
    appUrl,
    async close() {
      worker.shutdown();
      await running;
      await closeWorkerConnection();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await simulator.close();
      await callbacks.close();
      await temporal.close();
      rmSync(documentsDir, { recursive: true, force: true });
    },
  };
}

/** A webhook envelope as Ondato sends it; `payload` carries whatever the test needs. */
export function envelope(
  type: string,
  payload: Record<string, unknown>,
  extra: Record<string, unknown> = {},
) {
  return {
    id: randomUUID(),
    applicationId: '00000000-0000-4000-8000-0000000000a1',
    createdUtc: new Date().toISOString(),
    type,
    payload,
    ...extra,
  };
}
