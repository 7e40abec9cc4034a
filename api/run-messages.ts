/**
 * Review, cancel and resume: updates to a customer's running run, answered honestly within the call deadline.
 * 200 with the state once the run applied the message; 202 with what Temporal holds when no worker has applied
 * it yet (the server admits an update, only a worker accepts it); 409 when the run refuses it or is closed; 503
 * when Temporal is silent. The update id comes from the request, so the same request again joins the first.
 */
import { createHash } from 'node:crypto';
import { WorkflowUpdateFailedError, type WorkflowUpdateHandle } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import {
  cancelUpdate,
  onboardingWorkflowId,
  relinkUpdate,
  resumeUpdate,
  RUN_MEMO_KEYS,
  submitReviewUpdate,
  type CancelInput,
  type OnboardingState,
  type ResumeInput,
  type ReviewInput,
} from '../contract';
import { ApiError } from './errors';
import type { PendingUpdate, RunOperation } from './pending-update';
import type { RunAccess } from './run-access';
import { fromState, memoString, statusBase, workflowStatus } from './run-view';
import type { OnboardingStatus } from './schemas';
import { isTemporalUnavailable, isWorkflowNotFound, temporalUnavailable } from './temporal-errors';

type Refusal = 'no_review_pending' | 'already_decided' | 'not_parked' | 'relink_not_possible';

export class RunMessages {
  constructor(private readonly runs: RunAccess) {}

  review(customerId: string, review: ReviewInput): Promise<RunMessageOutcome> {
    return this.sendUpdate(customerId, 'review', 'no_review_pending', submitReviewUpdate, review);
  }

  cancel(customerId: string, request: CancelInput): Promise<RunMessageOutcome> {
    return this.sendUpdate(customerId, 'cancel', 'already_decided', cancelUpdate, request);
  }

  /** Ops resume a parked run (`needs_attention`): the failed step runs again now. */
  resume(customerId: string, request: ResumeInput): Promise<RunMessageOutcome> {
    return this.sendUpdate(customerId, 'resume', 'not_parked', resumeUpdate, request);
  }

  /**
   * A fresh customer link after Ondato ended the session. The IDV to replace is the run's current one, read
   * from its memo (no worker needed): the update id derives from it, so a repeat for the same expired session
   * joins the first request and a later session's expiry is a new request.
   */
  async relink(customerId: string, requestedBy: string): Promise<RunMessageOutcome> {
    const latest = await this.runs.requireLatest(customerId);
    const expiredIdvId = memoString(latest, RUN_MEMO_KEYS.idvId);
    if (workflowStatus(latest) !== 'RUNNING' || expiredIdvId === undefined) {
      throw new ApiError(
        409,
        'relink_not_possible',
        workflowStatus(latest) !== 'RUNNING'
          ? `The onboarding is no longer running (status ${workflowStatus(latest)})`
          : 'The onboarding has no customer link to replace yet',
        { workflowId: latest.workflowId, runId: latest.runId },
      );
    }
    return this.sendUpdate(customerId, 'relink', 'relink_not_possible', relinkUpdate, {
      requestedBy,
      expiredIdvId,
    });
  }

  /**
   * Sends an update and answers within the call deadline: its result (200), or what Temporal holds (202) when
   * the run has not finished with it in time (no worker: the server admits the update but only a worker accepts
   * it). The update id comes from the request, so sending the same request again joins the update (its result
   * once there is one) instead of running into the change it made (409). The workflow's validator refusal and a
   * closed run both mean `refusal`; a silent Temporal means 503.
   */
  private async sendUpdate<Input>(
    customerId: string,
    operation: RunOperation,
    refusal: Refusal,
    definition: UpdateDefinition<OnboardingState, [Input]>,
    input: Input,
  ): Promise<RunMessageOutcome> {
    const workflowId = onboardingWorkflowId(customerId);
    const updateId = requestUpdateId(operation, input);
    const handle = this.runs.client.workflow.getHandle(workflowId);
    const deadline = Date.now() + this.runs.callTimeoutMs;
    // Most of the deadline for acceptance; the rest to ask Temporal what it holds if no worker accepted.
    const acceptBy = Date.now() + Math.round(this.runs.callTimeoutMs * ACCEPT_SHARE);
    let update: WorkflowUpdateHandle<OnboardingState>;
    try {
      update = await this.runs.by(acceptBy, () =>
        handle.startUpdate(definition, { args: [input], updateId, waitForStage: 'ACCEPTED' }),
      );
    } catch (error) {
      if (!isTemporalUnavailable(error))
        throw await this.updateRefused(customerId, workflowId, refusal, error);
      return this.heldUpdate(customerId, workflowId, operation, refusal, updateId, deadline);
    }
    let state: OnboardingState;
    try {
      state = await this.runs.by(deadline, () => update.result());
    } catch (error) {
      if (!isTemporalUnavailable(error))
        throw await this.updateRefused(customerId, workflowId, refusal, error);
      // Accepted (the run's checks passed), not finished in time: it completes without us.
      return {
        applied: false,
        pending: pendingUpdate(workflowId, update.workflowRunId, operation, updateId, 'accepted'),
      };
    }
    const latest = await this.runs.describeLatest(workflowId);
    return { applied: true, status: fromState(statusBase(customerId, workflowId, latest), state) };
  }

  /** No acceptance in time: 202 when Temporal holds the update (no worker yet), 503 when Temporal is silent. */
  private async heldUpdate(
    customerId: string,
    workflowId: string,
    operation: RunOperation,
    refusal: Refusal,
    updateId: string,
    deadline: number,
  ): Promise<RunMessageOutcome> {
    const held = await this.runs.updateStage(
      workflowId,
      updateId,
      Math.max(deadline, Date.now() + MIN_CHECK_MS),
    );
    if (!held) throw temporalUnavailable();
    if (held.stage === 'completed') {
      const state = await this.runs
        .withDeadline(this.runs.callTimeoutMs, () =>
          this.runs.client.workflow
            .getHandle(workflowId, held.runId)
            .getUpdateHandle<OnboardingState>(updateId, { workflowRunId: held.runId })
            .result(),
        )
        .catch(async (error: unknown) => {
          throw await this.updateRefused(customerId, workflowId, refusal, error);
        });
      const latest = await this.runs.describeLatest(workflowId);
      return { applied: true, status: fromState(statusBase(customerId, workflowId, latest), state) };
    }
    return {
      applied: false,
      pending: pendingUpdate(workflowId, held.runId, operation, updateId, held.stage),
    };
  }

  private async updateRefused(
    customerId: string,
    workflowId: string,
    refusal: Refusal,
    error: unknown,
  ): Promise<ApiError> {
    if (error instanceof ApiError) return error;
    if (error instanceof WorkflowUpdateFailedError) {
      // The validator's message names the stage only (see workflows/inbox.ts).
      return new ApiError(409, refusal, error.cause?.message ?? 'The onboarding refused the request');
    }
    if (isWorkflowNotFound(error)) {
      const latest = await this.runs.requireLatest(customerId);
      return new ApiError(
        409,
        refusal,
        `The onboarding is no longer running (status ${workflowStatus(latest)})`,
        {
          workflowId,
          runId: latest.runId,
        },
      );
    }
    if (isTemporalUnavailable(error)) return temporalUnavailable();
    throw error;
  }
}

/** A run message's answer: applied (200, the state) or held by Temporal, not finished yet (202). */
export type RunMessageOutcome =
  { applied: true; status: OnboardingStatus } | { applied: false; pending: PendingUpdate };

/** Share of the call deadline spent waiting for a worker to accept an update. */
const ACCEPT_SHARE = 0.7;
/** The least time given to ask Temporal about an update that was not accepted. */
const MIN_CHECK_MS = 250;

/** The same request (operation and body) gives the same id: Temporal joins a repeat to the first. */
export function requestUpdateId(operation: RunOperation, input: unknown): string {
  return `${operation}-${createHash('sha256').update(JSON.stringify(input)).digest('hex').slice(0, 32)}`;
}

function pendingUpdate(
  workflowId: string,
  runId: string | undefined,
  operation: RunOperation,
  updateId: string,
  updateStage: 'admitted' | 'accepted',
): PendingUpdate {
  return {
    workflowId,
    ...(runId ? { runId } : {}),
    operation,
    updateId,
    updateStage,
    message:
      updateStage === 'admitted'
        ? 'Held by Temporal until a worker runs the onboarding; it applies then unless the run refuses it'
        : 'Accepted by the onboarding, still being applied',
  };
}
