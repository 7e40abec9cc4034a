/**
 * Starting an onboarding: start or join by update-with-start, replace a run that closed unfinished (taking over
 * its finished verification), retry after an outcome without approval. HTTP-free: refusals are `ApiError`s.
 */
import { randomUUID } from 'node:crypto';
import {
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  type WorkflowExecutionDescription,
  type WorkflowIdReusePolicy,
} from '@temporalio/client';
import {
  customerLinkUpdate,
  CustomerIdKey,
  OnboardingStageKey,
  ONBOARDING_WORKFLOW_TYPE,
  onboardingWorkflowId,
  type CustomerLink,
  type OnboardingInput,
  type OnboardingWorkflow,
} from '../contract';
import { ApiError } from './errors';
import type { RunAccess } from './run-access';
import {
  compact,
  finishedVerification,
  memoString,
  outcomeOf,
  pendingLink,
  readyLink,
  recordedStage,
  workflowStatus,
  type WorkflowStatus,
} from './run-view';
import type { OnboardingLink, RetryOnboardingRequest, ReverificationRequest } from './schemas';
import {
  describeRunFailure,
  failedStart,
  isTemporalUnavailable,
  isWorkflowNotFound,
  rethrowIfUnavailable,
  temporalUnavailable,
} from './temporal-errors';

export interface StartOptions {
  taskQueue: string;
  /** How long a start waits for the customer URL before answering "accepted, not ready yet". */
  startWaitMs: number;
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

/** Memo key of a re-verification run: the approved run it follows, so a repeated request joins it. */
const REVERIFICATION_OF_MEMO = 'reverificationOf';

/** Closed without completing: the next start replaces the run, taking over its finished verification. */
const CLOSED_UNFINISHED = new Set<WorkflowStatus>(['FAILED', 'TERMINATED', 'TIMED_OUT', 'CANCELLED']);

/** Outcomes that spend the verification: a retry after one sends the customer through Ondato again. */
const SPENT_VERIFICATION = new Set<string>(['rejected', 'expired', 'abandoned']);

export class OnboardingStarts {
  constructor(
    private readonly runs: RunAccess,
    private readonly options: StartOptions,
  ) {}

  /**
   * Starts the onboarding, or joins the running one. After a run that closed without completing, a new run
   * takes over its finished verification if it has one; a completed run is never restarted silently.
   */
  async start(input: OnboardingInput): Promise<StartOutcome> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.startOrJoin(input, 'REJECT_DUPLICATE');
      } catch (error) {
        if (!(error instanceof WorkflowExecutionAlreadyStartedError) || attempt > 1) throw error;
      }
      // The reuse policy refused: the latest run is closed.
      const latest = await this.runs.requireLatest(input.customerId);
      const status = workflowStatus(latest);
      if (status === 'COMPLETED') throw await this.completedConflict(input.customerId, latest);
      if (CLOSED_UNFINISHED.has(status)) {
        const resumeFrom = finishedVerification(latest);
        return this.startOrJoin({ ...input, ...(resumeFrom ? { resumeFrom } : {}) }, 'ALLOW_DUPLICATE');
      }
      // Running again: another call started a run meanwhile; join it.
    }
  }

  /**
   * A new run after one that ended without approval; the registration is given again. It takes over the
   * earlier run's finished verification unless that verification was spent (rejected, expired, abandoned).
   */
  async retry(customerId: string, request: RetryOnboardingRequest): Promise<StartOutcome> {
    const latest = await this.runs.requireLatest(customerId);
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
    let outcome = outcomeOf(latest);
    if (status === 'COMPLETED') {
      const record = await this.runs.resultOf(latest.workflowId, latest.runId).catch(rethrowIfUnavailable);
      outcome = record.outcome;
      if (outcome === 'approved') {
        throw new ApiError(409, 'onboarding_approved', 'The customer is already approved', {
          workflowId: latest.workflowId,
          runId: latest.runId,
          outcome,
        });
      }
    }
    const resumeFrom =
      outcome !== undefined && SPENT_VERIFICATION.has(outcome) ? undefined : finishedVerification(latest);
    return this.startOrJoin(
      { customerId, ...request, ...(resumeFrom ? { resumeFrom } : {}) },
      'ALLOW_DUPLICATE',
    );
  }

  /**
   * A new onboarding for an approved customer, because the product asks (e.g. after
   * `onboarding.reverification_due`): a fresh verification, taking nothing over. Only after an approved run;
   * while a run is open it is refused, unless that run is itself a re-verification, which a repeat joins.
   */
  async reverify(customerId: string, request: ReverificationRequest): Promise<StartOutcome> {
    const latest = await this.runs.requireLatest(customerId);
    const status = workflowStatus(latest);
    const runOf = { workflowId: latest.workflowId, runId: latest.runId };
    if (status === 'RUNNING') {
      const follows = memoString(latest, REVERIFICATION_OF_MEMO);
      if (follows === undefined) {
        throw new ApiError(
          409,
          'onboarding_running',
          'An onboarding of this customer is running; it decides first',
          runOf,
        );
      }
      const [workflowId, runId] = follows.split('/');
      return this.startOrJoin(
        { customerId, ...request, reverificationOf: { workflowId, runId } },
        'ALLOW_DUPLICATE',
      );
    }
    const record =
      status === 'COMPLETED'
        ? await this.runs.resultOf(latest.workflowId, latest.runId).catch(rethrowIfUnavailable)
        : undefined;
    if (record?.outcome !== 'approved') {
      throw new ApiError(
        409,
        'onboarding_not_approved',
        'The customer’s latest onboarding did not end approved: start or retry it instead',
        compact({ ...runOf, status, outcome: record?.outcome ?? outcomeOf(latest) }),
      );
    }
    return this.startOrJoin(
      {
        customerId,
        ...request,
        reverificationOf: compact({ ...runOf, kycId: record.kycId }),
      },
      'ALLOW_DUPLICATE',
      { [REVERIFICATION_OF_MEMO]: `${latest.workflowId}/${latest.runId}` },
    );
  }

  private async startOrJoin(
    input: OnboardingInput,
    reusePolicy: WorkflowIdReusePolicy,
    memo: Record<string, string> = {},
  ): Promise<StartOutcome> {
    const workflowId = onboardingWorkflowId(input.customerId);
    const startToken = randomUUID();
    const startOperation = new WithStartWorkflowOperation<OnboardingWorkflow>(ONBOARDING_WORKFLOW_TYPE, {
      workflowId,
      taskQueue: this.options.taskQueue,
      args: [{ ...input, startToken }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: reusePolicy,
      // Set at the start, so the run need not upsert them in its first workflow task.
      typedSearchAttributes: [
        { key: CustomerIdKey, value: input.customerId },
        { key: OnboardingStageKey, value: 'creating_verification' },
      ],
      memo: { ...memo, [START_TOKEN_MEMO]: startToken },
    });

    // Before the start, whose wait for the customer URL is longer than the call deadline.
    await this.assertReachable();
    let started: { runId?: string; customerLink: CustomerLink };
    try {
      started = await this.runs.withDeadline(this.options.startWaitMs, async () => {
        const update = await this.runs.client.workflow.startUpdateWithStart(customerLinkUpdate, {
          startWorkflowOperation: startOperation,
          waitForStage: 'ACCEPTED',
        });
        return { runId: update.workflowRunId, customerLink: await update.result() };
      });
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError) throw error;
      // No URL in time (no worker, Ondato slow), or the run closed under the update (terminated).
      if (isTemporalUnavailable(error) || isWorkflowNotFound(error)) {
        return this.pendingStart(input.customerId, startToken);
      }
      throw error;
    }

    const { customerLink } = started;
    // The link names its run and echoes the start token of the call that created it; from a worker older than
    // that, ask Temporal (one more round trip).
    const describe = () =>
      this.runs
        .withDeadline(this.runs.callTimeoutMs, () =>
          this.runs.client.workflow.getHandle(workflowId, started.runId).describe(),
        )
        .catch(rethrowIfUnavailable);
    const answered =
      customerLink.runId !== undefined && customerLink.startToken !== undefined
        ? { runId: customerLink.runId, created: customerLink.startToken === startToken }
        : undefined;
    const run = answered ? undefined : await describe();
    const runId = answered?.runId ?? run?.runId ?? '';
    // The run failed before a link existed (e.g. Ondato refused the verification): it said why.
    if (customerLink.failure) throw failedStart(workflowId, runId, customerLink.failure);
    if (!customerLink.customerUrl && !customerLink.outcome && !customerLink.resumedFromKycId) {
      // A worker older than the failure summary: read why from the run's result.
      throw await this.closedBeforeLink(run ?? (await describe()));
    }
    const created = answered
      ? answered.created
      : run !== undefined && memoString(run, START_TOKEN_MEMO) === startToken;
    return { ready: true, link: readyLink({ workflowId, runId, created }, customerLink) };
  }

  /**
   * 503 unless Temporal answers a cheap call within the call deadline. A start checks first: its own wait is for
   * the customer URL (API_START_WAIT_MS), so "Temporal is down" used to take that wait plus a describe in
   * series. The client's deadline can overrun by a retry backoff (up to a second seen against a closed port):
   * it gets half the time, and a clock of our own answers at the full deadline if it is still retrying.
   */
  private assertReachable(): Promise<void> {
    const { callTimeoutMs } = this.runs;
    return new Promise<void>((resolve, reject) => {
      const silent = setTimeout(() => reject(temporalUnavailable()), callTimeoutMs);
      this.runs
        .withDeadline(callTimeoutMs / 2, () => this.runs.client.workflowService.getSystemInfo({}))
        .then(
          () => {
            clearTimeout(silent);
            resolve();
          },
          (error: unknown) => {
            clearTimeout(silent);
            // Anything but silence (e.g. a refusal) is an answer: the start will meet it and say so.
            if (isTemporalUnavailable(error)) reject(temporalUnavailable());
            else resolve();
          },
        );
    });
  }

  /**
   * The URL did not come in time: 202 while the run is still running; 502 when it closed without one (failed,
   * terminated, timed out); 503 only when Temporal itself does not answer.
   */
  private async pendingStart(customerId: string, startToken: string): Promise<StartOutcome> {
    let description: WorkflowExecutionDescription;
    try {
      description = await this.runs.withDeadline(this.runs.callTimeoutMs, () =>
        this.runs.client.workflow.getHandle(onboardingWorkflowId(customerId)).describe(),
      );
    } catch (error) {
      // No run at all: the start itself did not get through.
      if (isWorkflowNotFound(error)) throw temporalUnavailable();
      rethrowIfUnavailable(error);
    }
    const created = memoString(description, START_TOKEN_MEMO) === startToken;
    const status = workflowStatus(description);
    if (status === 'RUNNING') {
      // The link update answered late (a loaded worker or server), but the run had recorded the URL: it is ready.
      const link = pendingLink(description, created);
      return { ready: link.customerUrl !== null, link };
    }
    if (status === 'COMPLETED') {
      // Ours, decided before a URL existed (e.g. cancelled); someone else's: the usual conflict.
      if (!created) throw await this.completedConflict(customerId, description);
      return { ready: true, link: { ...pendingLink(description, created), outcome: outcomeOf(description) } };
    }
    throw await this.closedBeforeLink(description);
  }

  private async completedConflict(
    customerId: string,
    latest: WorkflowExecutionDescription,
  ): Promise<ApiError> {
    const record = await this.runs.resultOf(latest.workflowId, latest.runId).catch((error: unknown) => {
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

  /** A run that closed before a customer link existed: why, from its result and its memo's last stage. */
  private async closedBeforeLink(run: WorkflowExecutionDescription): Promise<ApiError> {
    const { workflowId, runId } = run;
    try {
      await this.runs.resultOf(workflowId, runId);
    } catch (error) {
      if (isTemporalUnavailable(error)) return temporalUnavailable();
      const failure = describeRunFailure(error);
      return failedStart(workflowId, runId, {
        ...failure,
        stage: recordedStage(run),
        fields: failure.ondato?.fields,
      });
    }
    return new ApiError(502, 'onboarding_failed', 'The onboarding ended before a customer URL existed', {
      workflowId,
      runId,
    });
  }
}
