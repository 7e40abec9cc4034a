/**
 * Worker Versioning rollout steps over the WorkflowService deployment APIs (no CLI needed, so they work wherever
 * the service's own Temporal connection works: TLS, API keys). Used by `npm run rollout`, by `npm start` with
 * versioning on, and by the versioning test.
 */
import { isGrpcServiceError, type Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { deploymentVersionKey, type WorkerDeployment } from '../composition/worker-versioning';

/** gRPC status codes the steps expect (the numbers are part of the gRPC protocol). */
const GRPC_NOT_FOUND = 5;

const IDENTITY = 'ondato-onboarding-rollout';

export interface BuildSummary {
  buildId: string;
  /** CURRENT, RAMPING, DRAINING, DRAINED, INACTIVE, CREATED (Temporal's words). */
  status: string;
  /** The server's own drainage view, refreshed every few minutes; `openPinnedRuns` is the exact answer. */
  drainage?: string;
}

export interface DeploymentStatus {
  deploymentName: string;
  currentBuildId?: string;
  ramping?: { buildId?: string; percentage: number };
  builds: BuildSummary[];
}

function enumWord(name: string | undefined, prefix: string): string | undefined {
  return name?.startsWith(prefix) ? name.slice(prefix.length) : name;
}

/** Undefined when the deployment does not exist yet (no versioned worker of it has polled). */
export async function describeDeployment(
  client: Client,
  deploymentName: string,
): Promise<DeploymentStatus | undefined> {
  let response: temporal.api.workflowservice.v1.IDescribeWorkerDeploymentResponse;
  try {
    response = await client.workflowService.describeWorkerDeployment({
      namespace: client.options.namespace,
      deploymentName,
    });
  } catch (error) {
    if (isGrpcServiceError(error) && error.code === GRPC_NOT_FOUND) return undefined;
    throw error;
  }
  const info = response.workerDeploymentInfo;
  const routing = info?.routingConfig;
  const rampingPercentage = routing?.rampingVersionPercentage ?? 0;
  const statusEnum = temporal.api.enums.v1.WorkerDeploymentVersionStatus;
  const drainageEnum = temporal.api.enums.v1.VersionDrainageStatus;
  return {
    deploymentName,
    currentBuildId: routing?.currentDeploymentVersion?.buildId ?? undefined,
    ramping:
      routing?.rampingDeploymentVersion || rampingPercentage > 0
        ? { buildId: routing?.rampingDeploymentVersion?.buildId ?? undefined, percentage: rampingPercentage }
        : undefined,
    builds: (info?.versionSummaries ?? []).map((summary) => ({
      buildId: summary.deploymentVersion?.buildId ?? '?',
      status: enumWord(statusEnum[summary.status ?? 0], 'WORKER_DEPLOYMENT_VERSION_STATUS_') ?? 'UNSPECIFIED',
      drainage: summary.drainageStatus
        ? enumWord(drainageEnum[summary.drainageStatus], 'VERSION_DRAINAGE_STATUS_')
        : undefined,
    })),
  };
}

/** The task queue types this build's workers have polled with, per task queue. */
async function polledTaskQueues(
  client: Client,
  deployment: WorkerDeployment,
): Promise<Map<string, Set<temporal.api.enums.v1.TaskQueueType>>> {
  const polled = new Map<string, Set<temporal.api.enums.v1.TaskQueueType>>();
  let response: temporal.api.workflowservice.v1.IDescribeWorkerDeploymentVersionResponse;
  try {
    response = await client.workflowService.describeWorkerDeploymentVersion({
      namespace: client.options.namespace,
      deploymentVersion: deployment,
    });
  } catch (error) {
    if (isGrpcServiceError(error) && error.code === GRPC_NOT_FOUND) return polled;
    throw error;
  }
  const queues = [
    ...(response.versionTaskQueues ?? []),
    ...(response.workerDeploymentVersionInfo?.taskQueueInfos ?? []),
  ];
  for (const queue of queues) {
    if (!queue.name || queue.type == null) continue;
    polled.set(queue.name, (polled.get(queue.name) ?? new Set()).add(queue.type));
  }
  return polled;
}

/**
 * Waits until a build's workers have polled the task queue for workflow and activity tasks: the server refuses
 * to make a build current before its pollers have arrived.
 */
export async function waitForBuild(
  client: Client,
  deployment: WorkerDeployment,
  taskQueue: string,
  timeoutMs = 30_000,
): Promise<void> {
  const { TASK_QUEUE_TYPE_WORKFLOW, TASK_QUEUE_TYPE_ACTIVITY } = temporal.api.enums.v1.TaskQueueType;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const types = (await polledTaskQueues(client, deployment)).get(taskQueue);
    if (types?.has(TASK_QUEUE_TYPE_WORKFLOW) && types.has(TASK_QUEUE_TYPE_ACTIVITY)) return;
    if (Date.now() > deadline) {
      throw new Error(
        `build ${deployment.buildId} of ${deployment.deploymentName}: no worker of it polled ${taskQueue} within ${timeoutMs} ms`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** New runs start on this build (a run already started stays on its own build). */
export async function setCurrentBuild(client: Client, deployment: WorkerDeployment): Promise<void> {
  await client.workflowService.setWorkerDeploymentCurrentVersion({
    namespace: client.options.namespace,
    deploymentName: deployment.deploymentName,
    buildId: deployment.buildId,
    identity: IDENTITY,
  });
}

/** `percentage` % of new runs start on this build, the rest on the current one; 0 % with no build ends a ramp. */
export async function setRampingBuild(
  client: Client,
  deploymentName: string,
  ramp: { buildId: string; percentage: number } | undefined,
): Promise<void> {
  await client.workflowService.setWorkerDeploymentRampingVersion({
    namespace: client.options.namespace,
    deploymentName,
    buildId: ramp?.buildId ?? '',
    percentage: ramp?.percentage ?? 0,
    identity: IDENTITY,
  });
}

export interface OpenPinnedRuns {
  count: number;
  /** A few of them, for the operator to look at. */
  sample: Array<{ workflowId: string; runId: string }>;
}

/**
 * The open runs pinned to a build, straight from visibility: a build may be shut down once this is zero and
 * it is neither current nor ramping.
 */
export async function openPinnedRuns(
  client: Client,
  deployment: WorkerDeployment,
  sampleSize = 5,
): Promise<OpenPinnedRuns> {
  // Auto-upgrading runs (the long-lived aftercare runs) keep the version of their last task until they wake, and
  // move to the current build then: they do not hold a build.
  const query = `TemporalWorkerDeploymentVersion = '${deploymentVersionKey(deployment)}' AND ExecutionStatus = 'Running' AND TemporalWorkflowVersioningBehavior = 'Pinned'`;
  const { count } = await client.workflow.count(query);
  const sample: OpenPinnedRuns['sample'] = [];
  if (count > 0) {
    for await (const run of client.workflow.list({ query, pageSize: sampleSize })) {
      sample.push({ workflowId: run.workflowId, runId: run.runId });
      if (sample.length >= sampleSize) break;
    }
  }
  return { count, sample };
}
