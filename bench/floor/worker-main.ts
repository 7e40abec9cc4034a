/**
 * The floor's worker process, configured like the service's worker (same SDK defaults, same shutdown grace),
 * so the comparison isolates what the onboarding code adds.
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { createFloorActivities } from './activities';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

async function main(): Promise<void> {
  const connection = await NativeConnection.connect({ address: required('TEMPORAL_ADDRESS') });
  try {
    const worker = await Worker.create({
      connection,
      namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
      taskQueue: required('TEMPORAL_TASK_QUEUE'),
      activities: createFloorActivities(),
      workflowBundle: { codePath: required('WORKFLOW_BUNDLE_PATH') },
      shutdownGraceTime: Number(process.env.WORKER_SHUTDOWN_GRACE_MS ?? 2_000),
    });
    process.stderr.write(`[floor-worker] polling ${process.env.TEMPORAL_TASK_QUEUE}\n`);
    await worker.run();
  } finally {
    await connection.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`[floor-worker] fatal: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
