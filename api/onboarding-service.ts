/**
 * The onboarding operations of the API, over the Temporal client: start or join and retry (onboarding-starts.ts),
 * read, review, cancel, resume. HTTP-free: results are plain values and refusals are `ApiError`s with stable
 * codes, so the routes only translate.
 */
import { WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import {
  cancelUpdate,
  getStateQuery,
  onboardingWorkflowId,
  resumeUpdate,
  submitReviewUpdate,
  type CancelInput,
  type OnboardingInput,
  type OnboardingState,
  type ResumeInput,
  type ReviewInput,
} from '../contract';
import { ApiError } from './errors';
import { OnboardingStarts, type StartOutcome } from './onboarding-starts';
import { RunAccess } from './run-access';
import { fromRecord, fromState, fromSummary, statusBase, withFailure, workflowStatus } from './run-view';
import type { OnboardingStatus, RetryOnboardingRequest } from './schemas';
import {
  describeRunFailure,
  isTemporalUnavailable,
  isWorkflowNotFound,
  rethrowIfUnavailable,
  temporalUnavailable,
} from './temporal-errors';

export interface OnboardingServiceOptions {
  client: Client;
  taskQueue: string;
  /** How long a start waits for the customer URL before answering "accepted, not ready yet". */
  startWaitMs: number;
  /** Deadline of every other Temporal call (describe, query, update, result). */
  callTimeoutMs: number;
}

export class OnboardingService {
  private readonly runs: RunAccess;
  private readonly starts: OnboardingStarts;

  constructor(options: OnboardingServiceOptions) {
    this.runs = new RunAccess(options.client, options.callTimeoutMs);
    this.starts = new OnboardingStarts(this.runs, options);
  }

  /** See OnboardingStarts.start. */
  start(input: OnboardingInput): Promise<StartOutcome> {
    return this.starts.start(input);
  }

  /** See OnboardingStarts.retry. */
  retry(customerId: string, request: RetryOnboardingRequest): Promise<StartOutcome> {
    return this.starts.retry(customerId, request);
  }

  // ---- read ----

  async status(customerId: string): Promise<OnboardingStatus> {
    const latest = await this.runs.requireLatest(customerId);
    const base = statusBase(customerId, latest.workflowId, latest);
    const { status } = base;

    if (status === 'RUNNING' || status === 'COMPLETED') {
      try {
        const state = await this.runs.withDeadline(this.runs.callTimeoutMs, () =>
          this.runs.client.workflow.getHandle(latest.workflowId, latest.runId).query(getStateQuery),
        );
        return fromState(base, state);
      } catch (error) {
        if (isWorkflowNotFound(error))
          throw new ApiError(404, 'not_found', `No onboarding for customer ${customerId}`);
        // No worker answered the query: a completed run still has its decision record in history.
        if (status === 'COMPLETED') {
          const record = await this.runs
            .resultOf(latest.workflowId, latest.runId)
            .catch(rethrowIfUnavailable);
          return { ...fromRecord(fromSummary(base, latest), record), partial: true };
        }
        return { ...fromSummary(base, latest), partial: true };
      }
    }

    try {
      await this.runs.resultOf(latest.workflowId, latest.runId);
      return fromSummary(base, latest);
    } catch (error) {
      if (isTemporalUnavailable(error)) throw temporalUnavailable();
      return withFailure(fromSummary(base, latest), describeRunFailure(error));
    }
  }

  // ---- ops messages ----

  async review(customerId: string, review: ReviewInput): Promise<OnboardingStatus> {
    return this.sendUpdate(customerId, 'no_review_pending', (handle) =>
      handle.executeUpdate(submitReviewUpdate, { args: [review] }),
    );
  }

  async cancel(customerId: string, request: CancelInput): Promise<OnboardingStatus> {
    return this.sendUpdate(customerId, 'already_decided', (handle) =>
      handle.executeUpdate(cancelUpdate, { args: [request] }),
    );
  }

  /** Ops resume a parked run (`needs_attention`): the failed step runs again now. */
  async resume(customerId: string, request: ResumeInput): Promise<OnboardingStatus> {
    return this.sendUpdate(customerId, 'not_parked', (handle) =>
      handle.executeUpdate(resumeUpdate, { args: [request] }),
    );
  }

  /** Sends an update to the running run; the workflow's validator refusal and a closed run both mean `refusal`. */
  private async sendUpdate(
    customerId: string,
    refusal: 'no_review_pending' | 'already_decided' | 'not_parked',
    send: (handle: WorkflowHandle) => Promise<OnboardingState>,
  ): Promise<OnboardingStatus> {
    const workflowId = onboardingWorkflowId(customerId);
    const handle = this.runs.client.workflow.getHandle(workflowId);
    try {
      const state = await this.runs.withDeadline(this.runs.callTimeoutMs, () => send(handle));
      const latest = await this.runs.describeLatest(workflowId);
      return fromState(statusBase(customerId, workflowId, latest), state);
    } catch (error) {
      if (error instanceof ApiError) throw error;
      if (error instanceof WorkflowUpdateFailedError) {
        // The validator's message names the stage only (see workflows/onboarding.ts).
        throw new ApiError(409, refusal, error.cause?.message ?? 'The onboarding refused the request');
      }
      if (isWorkflowNotFound(error)) {
        const latest = await this.runs.requireLatest(customerId);
        throw new ApiError(
          409,
          refusal,
          `The onboarding is no longer running (status ${workflowStatus(latest)})`,
          {
            workflowId,
            runId: latest.runId,
          },
        );
      }
      rethrowIfUnavailable(error);
    }
  }
}

export type { StartOutcome } from './onboarding-starts';
