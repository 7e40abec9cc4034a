/**
 * Everything a workflow test needs, real and over loopback: the shared dev server, the Ondato simulator, a
 * worker with the real activities (from the composition root), the API's real `OnboardingService` to start runs
 * and the API itself listening for the simulator's webhooks (its real `WebhookRelay`), and a callback receiver.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import type { DocumentStore } from '../../storage/document-store';
import { LocalDocumentStore } from '../../storage/local-store';
import { createApp } from '../../api/app';
import { OnboardingService } from '../../api/onboarding-service';
import type { OnboardingLink } from '../../api/schemas';
import { connectTemporalClient, type TemporalClient } from '../../composition/client';
import { createOnboardingWorker } from '../../composition/worker';
import { loadConfig, type AppConfig } from '../../config';
import { onboardingWorkflowId, type OnboardingInput, type OnboardingWorkflow } from '../../contract';
import { createLogger } from '../../observability/logger';
import { SimulatorControl } from '../../simulator/control-client';
import { SAMPLE_REGISTRATION } from '../../simulator/sample-registration';
import { startSimulator, type RunningSimulator } from '../../simulator/server';
import { harness } from '../harness/env';
import { codecKeysEnv, TEST_CODEC_ENV, TEST_KEY_A, TEST_KEY_B, testKeyRing } from './codec-keys';
import { startCallbackReceiver, type CallbackReceiver } from './callback-receiver';

export const TEST_CREDENTIALS = {
  clientId: 'test-client',
  clientSecret: 'test-secret',
  webhookUsername: 'ondato-hooks',
  webhookPassword: 'hook-password',
  callbackSecret: 'callback-secret',
} as const;

/** Seconds instead of days, so tests run real timers. */
export const FAST_TIMEOUTS = {
  customerDeadlineMs: 60_000,
  ondatoReviewDeadlineMs: 60_000,
  manualReviewEscalationMs: 60_000,
  pollIntervalMs: 30_000,
  downloadHeartbeatTimeoutMs: 5_000,
};

export { SAMPLE_REGISTRATION };

export interface RelayedWebhook {
  customerId: string;
  deliveryId: string;
  type: string;
  /** relayed: signalled; merged: in the run's next signal; duplicate: answered from the API's memory. */
  status: 'relayed' | 'merged' | 'duplicate';
}

const WORKFLOW_ID_PREFIX = onboardingWorkflowId('');
const ANSWERED_FOR_A_RUN = new Set(['webhook relayed', 'webhook merged', 'webhook duplicate']);

/** The API logs one line per delivery it answered for a run (ids only): relayed, merged or duplicate. */
function relayedFrom(lines: string[]): RelayedWebhook[] {
  return lines
    .map(
      (line) =>
        JSON.parse(line) as {
          msg?: string;
          workflowId?: string;
          deliveryId?: string;
          type?: string;
          status?: RelayedWebhook['status'];
        },
    )
    .filter(
      (entry) => ANSWERED_FOR_A_RUN.has(entry.msg ?? '') && entry.workflowId?.startsWith(WORKFLOW_ID_PREFIX),
    )
    .map((entry) => ({
      customerId: (entry.workflowId as string).slice(WORKFLOW_ID_PREFIX.length),
      deliveryId: entry.deliveryId as string,
      type: entry.type as string,
      status: entry.status as RelayedWebhook['status'],
    }));
}

export interface OnboardingTestEnv {
  /** Encrypts with test key A, decrypts A and B (codec-keys.ts). */
  client: Client;
  config: AppConfig;
  /** The documents the worker stored, read (decrypted) through the store with both test keys. */
  documents: DocumentStore;
  simulator: RunningSimulator;
  control: SimulatorControl;
  /** What the API's webhook relay delivered to runs, read from its log lines. */
  relay: { url: string; readonly relayed: RelayedWebhook[] };
  callbacks: CallbackReceiver;
  documentsDir: string;
  taskQueue: string;
  /** Environment variables that point a separate worker process at this environment. */
  workerProcessEnv: Record<string, string>;
  /** Starts the in-process worker; `envOverrides` change its configuration (e.g. rotated CODEC_KEYS). */
  startWorker(envOverrides?: Record<string, string>): Promise<void>;
  stopWorker(): Promise<void>;
  /** Starts a run through the API's `OnboardingService`, as `POST /v1/onboardings` does. */
  start(input: Partial<OnboardingInput> & { customerId?: string }): Promise<{
    link: OnboardingLink;
    handle: WorkflowHandle<OnboardingWorkflow>;
    customerId: string;
    /** false: the run did not answer with its URL within the start wait (the API's 202). */
    ready: boolean;
  }>;
  close(): Promise<void>;
}

export async function createOnboardingTestEnv(
  options: { documentBytes?: number; runWorker?: boolean; env?: Record<string, string> } = {},
): Promise<OnboardingTestEnv> {
  const { address, namespace, bundlePath } = harness();
  const callbacks = await startCallbackReceiver(TEST_CREDENTIALS.callbackSecret);
  const simulator = await startSimulator({
    clientId: TEST_CREDENTIALS.clientId,
    clientSecret: TEST_CREDENTIALS.clientSecret,
    documentBytes: options.documentBytes ?? 64 * 1024,
  });
  const documentsDir = mkdtempSync(path.join(tmpdir(), 'onboarding-documents-'));
  const taskQueue = `onboarding-test-${randomUUID()}`;
  const workerProcessEnv: Record<string, string> = {
    NODE_ENV: 'test',
    TEMPORAL_ADDRESS: address,
    TEMPORAL_NAMESPACE: namespace,
    TEMPORAL_TASK_QUEUE: taskQueue,
    WORKFLOW_BUNDLE_PATH: bundlePath,
    ONDATO_ENV: 'simulator',
    SIMULATOR_HOST: '127.0.0.1',
    SIMULATOR_PORT: String(simulator.port),
    ONDATO_CLIENT_ID: TEST_CREDENTIALS.clientId,
    ONDATO_CLIENT_SECRET: TEST_CREDENTIALS.clientSecret,
    WEBHOOK_USERNAME: TEST_CREDENTIALS.webhookUsername,
    WEBHOOK_PASSWORD: TEST_CREDENTIALS.webhookPassword,
    CALLBACK_URL: callbacks.url,
    CALLBACK_SECRET: TEST_CREDENTIALS.callbackSecret,
    // The stand-in backend listens on loopback: allowed explicitly, as a deployment would.
    CALLBACK_ALLOW_PRIVATE_TARGETS: 'true',
    DOCUMENT_DIR: documentsDir,
    WORKER_SHUTDOWN_GRACE_MS: '2000',
    ...TEST_CODEC_ENV,
    ...options.env,
  };
  const config = loadConfig(workerProcessEnv);
  // The tests' client reads runs whose payloads a rotated worker wrote under key B too.
  const temporal: TemporalClient = await connectTemporalClient(
    loadConfig({
      ...workerProcessEnv,
      CODEC_KEYS: codecKeysEnv(TEST_KEY_A, TEST_KEY_B),
      CODEC_ACTIVE_KEY_ID: TEST_KEY_A.id,
    }),
  );
  const { client } = temporal;

  // The API, listening: the simulator's webhooks go through its real route and relay.
  const apiLogLines: string[] = [];
  const app = createApp({
    temporal: client,
    config,
    logger: createLogger({
      level: 'info',
      destination: { write: (line: string) => void apiLogLines.push(line) },
    }),
  });
  const apiServer: Server = createServer(app);
  await new Promise<void>((resolve) => apiServer.listen(0, '127.0.0.1', resolve));
  const webhookUrl = `http://127.0.0.1:${(apiServer.address() as AddressInfo).port}/webhooks/ondato`;
  await new SimulatorControl(simulator.url).setWebhooks({
    url: webhookUrl,
    username: TEST_CREDENTIALS.webhookUsername,
    password: TEST_CREDENTIALS.webhookPassword,
    timeScale: 0.01,
  });
  const service = new OnboardingService({
    client,
    taskQueue,
    startWaitMs: config.api.startWaitMs,
    callTimeoutMs: config.api.temporalTimeoutMs,
  });

  let running: { worker: Worker; run: Promise<void>; close(): Promise<void> } | undefined;

  const env: OnboardingTestEnv = {
    client,
    config,
    documents: new LocalDocumentStore(documentsDir, testKeyRing()),
    simulator,
    control: new SimulatorControl(simulator.url),
    relay: {
      url: webhookUrl,
      get relayed() {
        return relayedFrom(apiLogLines);
      },
    },
    callbacks,
    documentsDir,
    taskQueue,
    workerProcessEnv,
    async startWorker(envOverrides) {
      const workerConfig = envOverrides ? loadConfig({ ...workerProcessEnv, ...envOverrides }) : config;
      const { worker, close } = await createOnboardingWorker(workerConfig);
      running = { worker, run: worker.run(), close };
    },
    async stopWorker() {
      if (!running) return;
      const { worker, run, close } = running;
      running = undefined;
      worker.shutdown();
      await run;
      await close();
    },
    async start(input) {
      const customerId = input.customerId ?? `c-${randomUUID().slice(0, 8)}`;
      const { link, ready } = await service.start({
        registration: SAMPLE_REGISTRATION,
        timeouts: FAST_TIMEOUTS,
        ...input,
        customerId,
      });
      const handle = client.workflow.getHandle<OnboardingWorkflow>(link.workflowId, link.runId);
      return { link, handle, customerId, ready };
    },
    async close() {
      await env.stopWorker();
      await simulator.close();
      await new Promise<void>((resolve) => {
        apiServer.close(() => resolve());
        apiServer.closeAllConnections();
      });
      await callbacks.close();
      await temporal.close();
      rmSync(documentsDir, { recursive: true, force: true });
    },
  };
  if (options.runWorker !== false) await env.startWorker();
  return env;
}
