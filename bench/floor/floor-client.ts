/** Drives floor runs the way the API drives onboardings: update-with-start for the link, then a signal. */
import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { FLOOR_TASK_QUEUE } from './floor-stack';
import { FLOOR_WORKFLOW_TYPE, floorFinishSignal, floorLinkUpdate, type FloorInput } from './messages';
import type { floorWorkflow } from './workflows';

/** Starts a floor run and waits for its link, as `POST /v1/onboardings` waits for the customer URL. */
export async function startFloorRun(client: Client, workflowId: string, input: FloorInput): Promise<string> {
  const operation = new WithStartWorkflowOperation<typeof floorWorkflow>(FLOOR_WORKFLOW_TYPE, {
    workflowId,
    taskQueue: FLOOR_TASK_QUEUE,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  return client.workflow.executeUpdateWithStart(floorLinkUpdate, { startWorkflowOperation: operation });
}

/** The customer finished: the run's one signal. */
export async function finishFloorRun(client: Client, workflowId: string): Promise<void> {
  await client.workflow.getHandle(workflowId).signal(floorFinishSignal, { deliveryId: randomUUID() });
}

export async function floorResult(client: Client, workflowId: string): Promise<number> {
  return client.workflow.getHandle<typeof floorWorkflow>(workflowId).result();
}
