/** Builds the onboarding worker. Used by the worker process, the local stack and the tests alike. */
import { NativeConnection, Worker } from '@temporalio/worker';
import type { DataConverter } from '@temporalio/common';
import type { OnboardingActivities } from '../activities';
import { encryptsPayloads } from '../codec/data-converter';

export interface OnboardingWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: OnboardingActivities;
  /** A pre-built bundle (`npm run build`); without it the workflows are bundled at start (about 1.5 s). */
  workflowBundlePath?: string;
  /** How long running activities get to finish on shutdown before they are cancelled. */
  shutdownGraceMs: number;
  /**
   * The project's data converter (`createDataConverter(config)` from codec/data-converter.ts): payloads carry
   * personal data, so a worker without the encrypting codec is refused.
   */
  dataConverter: DataConverter;
  /**
   * Runs kept in memory between activations. The SDK derives its default from the heap limit (about 2,300 here,
   * ~0.5 MiB each); onboardings wake rarely, and replaying one costs little, so a smaller cache bounds memory.
   */
  maxCachedWorkflows?: number;
}

export async function createOnboardingWorker(options: OnboardingWorkerOptions): Promise<Worker> {
  if (!encryptsPayloads(options.dataConverter)) {
    throw new Error(
      'the onboarding worker needs the encrypting data converter (createDataConverter(config))',
    );
  }
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: options.activities,
    ...(options.workflowBundlePath
      ? { workflowBundle: { codePath: options.workflowBundlePath } }
      : { workflowsPath: require.resolve('../workflows') }),
    shutdownGraceTime: options.shutdownGraceMs,
    dataConverter: options.dataConverter,
    maxCachedWorkflows: options.maxCachedWorkflows,
  });
}
