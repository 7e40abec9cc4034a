/**
 * Everything a workflow test needs, real and over loopback: the shared dev server, the Ondato simulator, a
 * worker with the real activities, a webhook relay and a callback receiver.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection, WithStartWorkflowOperation, type WorkflowHandle } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import type { DocumentStore } from '../../activities/storage/document-store';
import { LocalDocumentStore } from '../../activities/storage/local-store';
import { createDataConverter } from '../../codec/data-converter';
import { loadConfig, type AppConfig } from '../../config/env';
import { SimulatorControl } from '../../simulator/control-client';
import { SAMPLE_REGISTRATION } from '../../simulator/sample-registration';
import { startSimulator, type RunningSimulator } from '../../simulator/server';
import { createOnboardingWorker } from '../../workers/onboarding-worker';
import { activityDepsFromConfig } from '../../workers/activity-deps';
import { customerLinkUpdate, onboardingWorkflowId, type CustomerLink } from '../../contract';
import { onboardingWorkflow } from '../../workflows/onboarding';
import { CustomerIdKey } from '../../contract';
import type { OnboardingInput } from '../../contract';
import { harness } from '../harness/env';
import { TEST_CODEC_ENV, testDataConverter, testKeyRing } from './codec-keys';
import { startCallbackReceiver, type CallbackReceiver } from './callback-receiver';
import { startWebhookRelay, type WebhookRelay } from './webhook-relay';

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

export interface OnboardingTestEnv {
  connection: Connection;
  /** Encrypts with test key A, decrypts A and B (codec-keys.ts). */
  client: Client;
  config: AppConfig;
  /** The documents the worker stored, read (decrypted) through the store with both test keys. */
  documents: DocumentStore;
  simulator: RunningSimulator;
  control: SimulatorControl;
  relay: WebhookRelay;
  callbacks: CallbackReceiver;
  documentsDir: string;
  taskQueue: string;
  /** Environment variables that point a separate worker process at this environment. */
  workerProcessEnv: Record<string, string>;
  /** Starts the in-process worker; `envOverrides` change its configuration (e.g. rotated CODEC_KEYS). */
  startWorker(envOverrides?: Record<string, string>): Promise<void>;
  stopWorker(): Promise<void>;
  start(
    input: Partial<OnboardingInput> & { customerId?: string },
  ): Promise<{ link: CustomerLink; handle: WorkflowHandle<typeof onboardingWorkflow>; customerId: string }>;
  close(): Promise<void>;
}

export async function createOnboardingTestEnv(
  options: { documentBytes?: number; runWorker?: boolean } = {},
): Promise<OnboardingTestEnv> {
  const { address, namespace, bundlePath } = harness();
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace, dataConverter: testDataConverter() });
  const relay = await startWebhookRelay(client, {
    username: TEST_CREDENTIALS.webhookUsername,
    password: TEST_CREDENTIALS.webhookPassword,
  });
  const callbacks = await startCallbackReceiver(TEST_CREDENTIALS.callbackSecret);
  const simulator = await startSimulator({
    clientId: TEST_CREDENTIALS.clientId,
    clientSecret: TEST_CREDENTIALS.clientSecret,
    documentBytes: options.documentBytes ?? 64 * 1024,
    webhook: {
      url: relay.url,
      username: TEST_CREDENTIALS.webhookUsername,
      password: TEST_CREDENTIALS.webhookPassword,
      timeScale: 0.01,
    },
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
    CALLBACK_URL: callbacks.url,
    CALLBACK_SECRET: TEST_CREDENTIALS.callbackSecret,
    DOCUMENT_DIR: documentsDir,
    WORKER_SHUTDOWN_GRACE_MS: '2000',
    ...TEST_CODEC_ENV,
  };
  const config = loadConfig(workerProcessEnv);

  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  let nativeConnection: NativeConnection | undefined;

  const env: OnboardingTestEnv = {
    connection,
    client,
    config,
    documents: new LocalDocumentStore(documentsDir, testKeyRing()),
    simulator,
    control: new SimulatorControl(simulator.url),
    relay,
    callbacks,
    documentsDir,
    taskQueue,
    workerProcessEnv,
    async startWorker(envOverrides) {
      const workerConfig = envOverrides ? loadConfig({ ...workerProcessEnv, ...envOverrides }) : config;
      nativeConnection ??= await NativeConnection.connect({ address });
      worker = await createOnboardingWorker({
        connection: nativeConnection,
        namespace,
        taskQueue,
        activities: createActivities(activityDepsFromConfig(workerConfig)),
        workflowBundlePath: bundlePath,
        shutdownGraceMs: 2_000,
        dataConverter: createDataConverter(workerConfig),
      });
      running = worker.run();
    },
    async stopWorker() {
      if (!worker) return;
      worker.shutdown();
      await running;
      worker = undefined;
    },
    async start(input) {
      const customerId = input.customerId ?? `c-${randomUUID().slice(0, 8)}`;
      const startOperation = new WithStartWorkflowOperation(onboardingWorkflow, {
        workflowId: onboardingWorkflowId(customerId),
        taskQueue,
        args: [{ registration: SAMPLE_REGISTRATION, timeouts: FAST_TIMEOUTS, ...input, customerId }],
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
        typedSearchAttributes: [{ key: CustomerIdKey, value: customerId }],
      });
      const link = await client.workflow.executeUpdateWithStart(customerLinkUpdate, {
        startWorkflowOperation: startOperation,
      });
      return { link, handle: await startOperation.workflowHandle(), customerId };
    },
    async close() {
      await env.stopWorker();
      await nativeConnection?.close();
      await simulator.close();
      await relay.close();
      await callbacks.close();
      await connection.close();
      rmSync(documentsDir, { recursive: true, force: true });
    },
  };
  if (options.runWorker !== false) await env.startWorker();
  return env;
}
