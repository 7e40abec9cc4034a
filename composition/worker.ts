/**
 * The onboarding worker, built from configuration: the worker process, the local stack, the tests and the
 * bench all get it here, so they cannot drift (bundle fallback, cache size, shutdown grace, codec).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import { createActivities, type ActivityDeps, type OnboardingActivities } from '../activities';
import { createLifecycleActivities } from '../activities/lifecycle';
import { createDocumentStore } from '../storage/store-factory';
import { createDataConverter } from '../codec/data-converter';
import type { AppConfig } from '../config';
import { onboardingMetrics } from '../observability/metrics';
import { activityMetricsInterceptor } from '../observability/metrics-interceptors';
import { instrumentOndato } from '../observability/ondato-instrumentation';
import { tracingWorkerOptions, WORKFLOW_INTERCEPTOR_MODULES } from '../observability/tracing';
import { createOndatoClient } from '../ondato/client';
import { connectTemporalClient, type TemporalClient } from './client';
import { trackInFlight } from './in-flight';
import { temporalConnectionOptions } from './connection';
import { workerDeploymentOptions, type WorkerDeployment } from './worker-versioning';

/**
 * `npm run build` writes the bundle to dist/workflow-bundle.js, beside the compiled dist/composition/: compiled
 * (production) starts use it; `tsx` starts from source find none and bundle at start (about 1.5 s).
 */
const BUILT_BUNDLE_PATH = path.resolve(__dirname, '..', 'workflow-bundle.js');

/** The client's own retries give up after about 30 s: a lifecycle call still running then is not waited for. */
const LIFECYCLE_DRAIN_MS = 30_000;

export function workflowBundlePath(config: Pick<AppConfig, 'temporal'>): string | undefined {
  return config.temporal.worker.bundlePath ?? (existsSync(BUILT_BUNDLE_PATH) ? BUILT_BUNDLE_PATH : undefined);
}

export function activityDepsFromConfig(config: AppConfig): ActivityDeps {
  return {
    // Every Ondato call counted and timed (and traced when tracing is on) at this one boundary.
    ondato: instrumentOndato(createOndatoClient(config.ondato), onboardingMetrics()),
    documents: createDocumentStore(config.documents, config.codec.keyRing),
    defaultSetupId: config.ondato.setupId,
    ondatoFailures: { authRetryWindowMs: config.ondato.authRetryWindowMs },
    callbacks: {
      defaultUrl: config.callbacks.defaultUrl,
      secret: config.callbacks.secret,
      targets: config.callbacks.targets,
    },
  };
}

export interface OnboardingWorker {
  worker: Worker;
  /** Where the workflow code came from, for the start-up log line. */
  bundle: 'pre-built' | 'bundled at start';
  /** The worker deployment and build it declares; undefined when Worker Versioning is off. */
  deployment?: WorkerDeployment;
  /** Closes the connection the worker was built on (after `worker.run()` has returned). */
  close(): Promise<void>;
}

export interface OnboardingWorkerOverrides {
  /** Share one connection between several workers (tests); the caller then closes it. */
  connection?: NativeConnection;
  /** Activities other than the configured ones (tests that inject faults). */
  activities?: OnboardingActivities;
}

export async function createOnboardingWorker(
  config: AppConfig,
  overrides: OnboardingWorkerOverrides = {},
): Promise<OnboardingWorker> {
  const ownConnection = overrides.connection
    ? undefined
    : await NativeConnection.connect(temporalConnectionOptions(config.temporal));
  const connection = (overrides.connection ?? ownConnection) as NativeConnection;
  const bundlePath = workflowBundlePath(config);
  const deps = activityDepsFromConfig(config);
  // Erasure activities read and delete runs: a client of their own, connected on first use only.
  let lifecycleConnection: Promise<TemporalClient> | undefined;
  const lifecycleClient = async (): Promise<Client> =>
    (await (lifecycleConnection ??= connectTemporalClient(config, { lazy: true }))).client;
  const lifecycle = trackInFlight(
    createLifecycleActivities({
      temporal: lifecycleClient,
      ondato: deps.ondato,
      documents: deps.documents,
      lifecycle: config.lifecycle,
    }),
  );
  const closeLifecycleClient = async (): Promise<void> => {
    if (!lifecycleConnection) return;
    // Activities still running after the worker stopped (they ignore cancellation) finish their calls first.
    await lifecycle.idle(LIFECYCLE_DRAIN_MS);
    await (await lifecycleConnection).close();
  };
  try {
    const versioning = workerDeploymentOptions(config.temporal.worker.versioning);
    const tracing = tracingWorkerOptions();
    const worker = await Worker.create({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      activities: {
        ...(overrides.activities ?? createActivities(deps)),
        ...lifecycle.activities,
      },
      ...(bundlePath
        ? { workflowBundle: { codePath: bundlePath } }
        : { workflowsPath: require.resolve('../workflows') }),
      shutdownGraceTime: config.temporal.worker.shutdownGraceMs,
      // Personal data travels in payloads: every worker encrypts them.
      dataConverter: createDataConverter(config),
      // Onboardings wake rarely and replay cheaply: a bounded cache bounds memory (the SDK's default follows
      // the heap limit).
      maxCachedWorkflows: config.temporal.worker.maxCachedWorkflows,
      // Service metrics always (cheap counters); spans only when tracing is on. The workflow modules apply to a
      // bundle built at start; a pre-built bundle has them from scripts/build-workflow-bundle.ts.
      interceptors: {
        activity: [...(tracing?.activity ?? []), activityMetricsInterceptor(onboardingMetrics())],
        workflowModules: WORKFLOW_INTERCEPTOR_MODULES,
      },
      ...(tracing ? { sinks: tracing.sinks } : {}),
      // Versioning on: every run stays on the build that started it (docs/deploys.md).
      ...(versioning ? { workerDeploymentOptions: versioning.options } : {}),
    });
    return {
      worker,
      bundle: bundlePath ? 'pre-built' : 'bundled at start',
      deployment: versioning?.deployment,
      close: async () => {
        await closeLifecycleClient();
        await ownConnection?.close();
      },
    };
  } catch (error) {
    await closeLifecycleClient();
    await ownConnection?.close();
    throw error;
  }
}
