/**
 * The onboarding operations of the API, over the Temporal client: start or join, read, review, cancel,
 * retry. HTTP-free: results are plain values and refusals are `ApiError`s with stable codes, so the routes
 * only translate.
 */
import { randomUUID } from 'node:crypto';
import {
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowExecutionDescription,
  type WorkflowHandle,
  type WorkflowIdReusePolicy,
} from '@temporalio/client';
import {
  cancelUpdate,
  customerLinkUpdate,
  CustomerIdKey,
  getStateQuery,
  ONBOARDING_WORKFLOW_TYPE,
  onboardingWorkflowId,
  submitReviewUpdate,
  type CancelInput,
  type CustomerLink,
  type DecisionRecord,
  type OnboardingInput,
  type OnboardingState,
  type OnboardingWorkflow,
  type ReviewInput,
} from '../contract';
import { ApiError } from './errors';
import {
  compact,
  fromRecord,
  fromState,
  fromSummary,
  memoString,
  pendingLink,
  readyLink,
  statusBase,
  withFailure,
  workflowStatus,
} from './run-view';
import type { OnboardingLink, OnboardingStatus, RetryOnboardingRequest } from './schemas';
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

export interface StartOutcome {
  link: OnboardingLink;
  /** false when the run exists but the customer URL was not ready within `startWaitMs`. */
  ready: boolean;
}

/**
 * Memo key holding a token unique to each start call. Update-with-start does not say whether it started the
 * run or joined one; the run's memo does: it carries the token of the call that created it.
 */
const START_TOKEN_MEMO = 'apiStartToken';

export class OnboardingService {
  constructor(private readonly options: OnboardingServiceOptions) {}

  private get client(): Client {
    return this.options.client;
  }

  private withDeadline<T>(ms: number, call: () => Promise<T>): Promise<T> {
    return this.client.withDeadline(Date.now() + ms, call);
  }

  /** The latest run of a workflow id, or undefined when there never was one. */
  private async describeLatest(workflowId: string): Promise<WorkflowExecutionDescription | undefined> {
    try {
      return await this.withDeadline(this.options.callTimeoutMs, () =>
        this.client.workflow.getHandle(workflowId).describe(),
      );
    } catch (error) {
      if (isWorkflowNotFound(error)) return undefined;
      rethrowIfUnavailable(error);
    }
  }

  private async requireLatest(customerId: string): Promise<WorkflowExecutionDescription> {
    const description = await this.describeLatest(onboardingWorkflowId(customerId));
    if (!description) throw new ApiError(404, 'not_found', `No onboarding for customer ${customerId}`);
    return description;
  }

  private async resultOf(workflowId: string, runId: string): Promise<DecisionRecord> {
    return this.withDeadline(this.options.callTimeoutMs, () =>
      this.client.workflow.getHandle<OnboardingWorkflow>(workflowId, runId, { followRuns: false }).result(),
    );
  }

  // ---- start, join, retry ----

  /** Starts the onboarding, or joins the running one; refuses to silently restart a completed one. */
  async start(input: OnboardingInput): Promise<StartOutcome> {
    return this.startOrJoin(input, 'ALLOW_DUPLICATE_FAILED_ONLY');
  }

  /** A fresh run after one that ended without approval; the registration is given again. */
  async retry(customerId: string, request: RetryOnboardingRequest): Promise<StartOutcome> {
    const latest = await this.requireLatest(customerId);
    const status = workflowStatus(latest);
    if (status === 'RUNNING') {
      throw new ApiError(
        409,
        'onboarding_running',
        'The onboarding is still running; cancel it first to retry',
        {
          workflowId: latest.workflowId,
          runId: latest.runId,
        },
      );
    }
    if (status === 'COMPLETED') {
      const record = await this.resultOf(latest.workflowId, latest.runId).catch(rethrowIfUnavailable);
      if (record.outcome === 'approved') {
        throw new ApiError(409, 'onboarding_approved', 'The customer is already approved', {
          workflowId: latest.workflowId,
          runId: latest.runId,
          outcome: record.outcome,
        });
      }
    }
    return this.startOrJoin({ customerId, ...request }, 'ALLOW_DUPLICATE');
  }

  private async startOrJoin(
    input: OnboardingInput,
    reusePolicy: WorkflowIdReusePolicy,
  ): Promise<StartOutcome> {
    const workflowId = onboardingWorkflowId(input.customerId);
    const startToken = randomUUID();
    const startOperation = new WithStartWorkflowOperation<OnboardingWorkflow>(ONBOARDING_WORKFLOW_TYPE, {
      workflowId,
      taskQueue: this.options.taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: reusePolicy,
      typedSearchAttributes: [{ key: CustomerIdKey, value: input.customerId }],
      memo: { [START_TOKEN_MEMO]: startToken },
    });

    let started: { runId?: string; customerLink: CustomerLink };
    try {
      started = await this.withDeadline(this.options.startWaitMs, async () => {
        const update = await this.client.workflow.startUpdateWithStart(customerLinkUpdate, {
          startWorkflowOperation: startOperation,
          waitForStage: 'ACCEPTED',
        });
        return { runId: update.workflowRunId, customerLink: await update.result() };
      });
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError) {
        // The reuse policy refused: the last run completed. Never restart it silently.
        throw await this.completedConflict(input.customerId);
      }
      if (isTemporalUnavailable(error)) return this.pendingStart(workflowId, startToken);
      throw error;
    }

    const { customerLink } = started;
    const run = await this.withDeadline(this.options.callTimeoutMs, () =>
      this.client.workflow.getHandle(workflowId, started.runId).describe(),
    ).catch(rethrowIfUnavailable);
    const runId = run.runId;
    const created = memoString(run, START_TOKEN_MEMO) === startToken;
    if (!customerLink.customerUrl && !customerLink.outcome) {
      // The run ended before a URL existed: it failed (e.g. Ondato refused the verification).
      throw await this.startFailure(workflowId, runId);
    }
    return { ready: true, link: readyLink({ workflowId, runId, created }, customerLink) };
  }

  /** The URL did not come in time (no worker, Ondato slow): answer 202 if the run exists, 503 if not. */
  private async pendingStart(workflowId: string, startToken: string): Promise<StartOutcome> {
    let description: WorkflowExecutionDescription | undefined;
    try {
      description = await this.withDeadline(this.options.callTimeoutMs, () =>
        this.client.workflow.getHandle(workflowId).describe(),
      );
    } catch {
      throw temporalUnavailable();
    }
    if (workflowStatus(description) !== 'RUNNING') throw temporalUnavailable();
    const created = memoString(description, START_TOKEN_MEMO) === startToken;
    return { ready: false, link: pendingLink(description, created) };
  }

  private async completedConflict(customerId: string): Promise<ApiError> {
    const latest = await this.requireLatest(customerId);
    const record = await this.resultOf(latest.workflowId, latest.runId).catch((error: unknown) => {
      if (isTemporalUnavailable(error)) throw temporalUnavailable();
      return undefined;
    });
    return new ApiError(
      409,
      'onboarding_completed',
      'The onboarding of this customer has completed; POST to the retry link to start a new one',
      compact({
        workflowId: latest.workflowId,
        runId: latest.runId,
        outcome: record?.outcome,
        retry: `/v1/onboardings/${encodeURIComponent(customerId)}/retry`,
      }),
    );
  }

  private async startFailure(workflowId: string, runId: string): Promise<ApiError> {
    try {
      await this.resultOf(workflowId, runId);
    } catch (error) {
      if (isTemporalUnavailable(error)) return temporalUnavailable();
      const failure = describeRunFailure(error);
      if (failure.ondato) {
        return new ApiError(502, 'ondato_rejected', 'Ondato refused to create the verification', {
          workflowId,
          runId,
          ...failure.ondato,
        });
      }
      return new ApiError(502, 'onboarding_failed', 'The onboarding failed before a customer URL existed', {
        workflowId,
        runId,
        failure: { type: failure.type, message: failure.message },
      });
    }
    return new ApiError(502, 'onboarding_failed', 'The onboarding ended before a customer URL existed', {
      workflowId,
      runId,
    });
  }

  // ---- read ----

  async status(customerId: string): Promise<OnboardingStatus> {
    const latest = await this.requireLatest(customerId);
    const base = statusBase(customerId, latest.workflowId, latest);
    const { status } = base;

    if (status === 'RUNNING' || status === 'COMPLETED') {
      try {
        const state = await this.withDeadline(this.options.callTimeoutMs, () =>
          this.client.workflow.getHandle(latest.workflowId, latest.runId).query(getStateQuery),
        );
        return fromState(base, state);
      } catch (error) {
        if (isWorkflowNotFound(error))
          throw new ApiError(404, 'not_found', `No onboarding for customer ${customerId}`);
        // No worker answered the query: a completed run still has its decision record in history.
        if (status === 'COMPLETED') {
          const record = await this.resultOf(latest.workflowId, latest.runId).catch(rethrowIfUnavailable);
          return { ...fromRecord(fromSummary(base, latest), record), partial: true };
        }
        return { ...fromSummary(base, latest), partial: true };
      }
    }

    try {
      await this.resultOf(latest.workflowId, latest.runId);
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

  /** Sends an update to the running run; the workflow's validator refusal and a closed run both mean `refusal`. */
  private async sendUpdate(
    customerId: string,
    refusal: 'no_review_pending' | 'already_decided',
    send: (handle: WorkflowHandle) => Promise<OnboardingState>,
  ): Promise<OnboardingStatus> {
    const workflowId = onboardingWorkflowId(customerId);
    const handle = this.client.workflow.getHandle(workflowId);
    try {
      const state = await this.withDeadline(this.options.callTimeoutMs, () => send(handle));
      const latest = await this.describeLatest(workflowId);
      return fromState(statusBase(customerId, workflowId, latest), state);
    } catch (error) {
      if (error instanceof ApiError) throw error;
      if (error instanceof WorkflowUpdateFailedError) {
        // The validator's message names the stage only (see workflows/onboarding.ts).
        throw new ApiError(409, refusal, error.cause?.message ?? 'The onboarding refused the request');
      }
      if (isWorkflowNotFound(error)) {
        const latest = await this.requireLatest(customerId);
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
