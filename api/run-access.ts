/**
 * The API's reads of runs over the Temporal client, each under the call deadline: the latest run of a customer,
 * a run's result. Shared by starts and by the other operations.
 */
import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { onboardingWorkflowId, type DecisionRecord, type OnboardingWorkflow } from '../contract';
import { ApiError } from './errors';
import { isTemporalUnavailable, isWorkflowNotFound, rethrowIfUnavailable } from './temporal-errors';

const LifecycleStage = temporal.api.enums.v1.UpdateWorkflowExecutionLifecycleStage;

/** Where Temporal holds an update: admitted (waiting for a worker), accepted (being applied), completed. */
export interface HeldUpdate {
  stage: 'admitted' | 'accepted' | 'completed';
  runId?: string;
}

export class RunAccess {
  constructor(
    readonly client: Client,
    /** Deadline of every call other than a start's wait (describe, query, update, result). */
    readonly callTimeoutMs: number,
  ) {}

  withDeadline<T>(ms: number, call: () => Promise<T>): Promise<T> {
    return this.by(Date.now() + ms, call);
  }

  /** `call` under an absolute deadline. */
  by<T>(deadline: number, call: () => Promise<T>): Promise<T> {
    return this.client.withDeadline(deadline, call);
  }

  /** The latest run of a workflow id, or undefined when there never was one. */
  async describeLatest(workflowId: string): Promise<WorkflowExecutionDescription | undefined> {
    try {
      return await this.withDeadline(this.callTimeoutMs, () =>
        this.client.workflow.getHandle(workflowId).describe(),
      );
    } catch (error) {
      if (isWorkflowNotFound(error)) return undefined;
      rethrowIfUnavailable(error);
    }
  }

  async requireLatest(customerId: string): Promise<WorkflowExecutionDescription> {
    const description = await this.describeLatest(onboardingWorkflowId(customerId));
    if (!description) throw new ApiError(404, 'not_found', `No onboarding for customer ${customerId}`);
    return description;
  }

  async resultOf(workflowId: string, runId: string): Promise<DecisionRecord> {
    return this.withDeadline(this.callTimeoutMs, () =>
      this.client.workflow.getHandle<OnboardingWorkflow>(workflowId, runId, { followRuns: false }).result(),
    );
  }

  /**
   * The stage of an update Temporal holds, asked without waiting; undefined when Temporal does not hold it or
   * does not answer by `deadline`.
   */
  async updateStage(workflowId: string, updateId: string, deadline: number): Promise<HeldUpdate | undefined> {
    try {
      const response = await this.by(deadline, () =>
        this.client.workflowService.pollWorkflowExecutionUpdate({
          namespace: this.client.options.namespace,
          updateRef: { workflowExecution: { workflowId }, updateId },
          identity: this.client.options.identity,
          // Returns at once: every held update is at least admitted.
          waitPolicy: { lifecycleStage: LifecycleStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED },
        }),
      );
      const runId = response.updateRef?.workflowExecution?.runId ?? undefined;
      const stage =
        response.stage === LifecycleStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED
          ? 'completed'
          : response.stage === LifecycleStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED
            ? 'accepted'
            : 'admitted';
      return { stage, ...(runId ? { runId } : {}) };
    } catch (error) {
      if (isWorkflowNotFound(error) || isTemporalUnavailable(error)) return undefined;
      throw error;
    }
  }
}
