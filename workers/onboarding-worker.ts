/** Builds the onboarding worker. Used by the worker process, the local stack and the tests alike. */
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { OnboardingActivities } from '../activities';

export interface OnboardingWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: OnboardingActivities;
  /** A pre-built bundle (`npm run build`); without it the workflows are bundled at start (about 1.5 s). */
  workflowBundlePath?: string;
  /** How long running activities get to finish on shutdown before they are cancelled. */
  shutdownGraceMs: number;
  dataConverter?: WorkerOptions['dataConverter'];
}

export async function createOnboardingWorker(options: OnboardingWorkerOptions): Promise<Worker> {
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
  });
}
