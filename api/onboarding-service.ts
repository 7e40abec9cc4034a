/**
 * The onboarding operations of the API, over the Temporal client: start or join and retry (onboarding-starts.ts),
 * read, and review, cancel, resume (run-messages.ts). HTTP-free: results are plain values and refusals are
 * `ApiError`s with stable codes, so the routes only translate.
 */
import type { Client } from '@temporalio/client';
import {
  getStateQuery,
  type CancelInput,
  type OnboardingInput,
  type ResumeInput,
  type ReviewInput,
} from '../contract';
import { ApiError } from './errors';
import { OnboardingStarts, type StartOutcome } from './onboarding-starts';
import { RunAccess } from './run-access';
import { RunMessages, type RunMessageOutcome } from './run-messages';
import { fromRecord, fromState, fromSummary, statusBase, withFailure } from './run-view';
import type { OnboardingStatus, RetryOnboardingRequest, ReverificationRequest } from './schemas';
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
  private readonly messages: RunMessages;

  constructor(options: OnboardingServiceOptions) {
    this.runs = new RunAccess(options.client, options.callTimeoutMs);
    this.starts = new OnboardingStarts(this.runs, options);
    this.messages = new RunMessages(this.runs);
  }

  /** See OnboardingStarts.start. */
  start(input: OnboardingInput): Promise<StartOutcome> {
    return this.starts.start(input);
  }

  /** See OnboardingStarts.retry. */
  retry(customerId: string, request: RetryOnboardingRequest): Promise<StartOutcome> {
    return this.starts.retry(customerId, request);
  }

  /** See OnboardingStarts.reverify. */
  reverify(customerId: string, request: ReverificationRequest): Promise<StartOutcome> {
    return this.starts.reverify(customerId, request);
  }

  /** See RunMessages.relink. */
  relink(customerId: string, requestedBy: string): Promise<RunMessageOutcome> {
    return this.messages.relink(customerId, requestedBy);
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

  // ---- ops messages (see RunMessages) ----

  review(customerId: string, review: ReviewInput): Promise<RunMessageOutcome> {
    return this.messages.review(customerId, review);
  }

  cancel(customerId: string, request: CancelInput): Promise<RunMessageOutcome> {
    return this.messages.cancel(customerId, request);
  }

  /** Ops resume a parked run (`needs_attention`): the failed step runs again now. */
  resume(customerId: string, request: ResumeInput): Promise<RunMessageOutcome> {
    return this.messages.resume(customerId, request);
  }
}

export type { StartOutcome } from './onboarding-starts';
export type { RunMessageOutcome } from './run-messages';
