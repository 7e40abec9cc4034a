/**
 * The API's reads of runs over the Temporal client, each under the call deadline: the latest run of a customer,
 * a run's result. Shared by starts and by the other operations.
 */
import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import { onboardingWorkflowId, type DecisionRecord, type OnboardingWorkflow } from '../contract';
import { ApiError } from './errors';
import { isWorkflowNotFound, rethrowIfUnavailable } from './temporal-errors';

export class RunAccess {
  constructor(
    readonly client: Client,
    /** Deadline of every call other than a start's wait (describe, query, update, result). */
    readonly callTimeoutMs: number,
  ) {}

  withDeadline<T>(ms: number, call: () => Promise<T>): Promise<T> {
    return this.client.withDeadline(Date.now() + ms, call);
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
}
