/**
 * The run's inbox: every message handler of the onboarding workflow (webhook signal, state query, customer link,
 * review, cancel, resume) and what they leave for the run to act on. Deterministic workflow code.
 */
import { condition, log, setHandler, workflowInfo, type CancellationScope } from '@temporalio/workflow';
import {
  cancelUpdate,
  customerLinkUpdate,
  getStateQuery,
  ondatoWebhookSignal,
  resumeSignal,
  resumeUpdate,
  submitReviewUpdate,
  type CancelInput,
  type OnboardingState,
  type OndatoWebhookSignal,
  type ResumeInput,
  type ReviewInput,
} from '../contract';
import { validateRequester, validateReview } from './message-validation';
import type { Parking } from './parking';
import type { ReceivedHint } from './webhook-hints';

/** Webhook hints kept for the next wait check: a burst is a handful; a flood must not grow the run's memory. */
const KEPT_HINTS = 32;

export interface InboxDeps {
  workflowId: string;
  state: OnboardingState;
  parking: Parking;
  /** The scope of the run's work: a cancel request cancels it. */
  mainScope: CancellationScope;
  isDecided(): boolean;
  /** The start token of the run's input, echoed by the customer-link update. */
  startToken?: string;
}

export class RunInbox {
  private readonly seenDeliveries = new Set<string>();
  /** Bumped by every relevant webhook: waits wake up on it and re-fetch from Ondato. */
  webhookNudges = 0;
  /** The relevant webhooks since the last wait check took them (bounded: only the newest count). */
  private hints: ReceivedHint[] = [];
  /**
   * Signals this run took, repeats included: each one is a history event, and Temporal caps them per run, so
   * a waiting run continues as new past a budget.
   */
  signalsThisRun = 0;
  /** IDVs that webhooks named beside the run's own (our reference, another IDV), for the run to look into. */
  readonly foreignIdvIds: string[] = [];
  /** The ops decision, once one came in (only accepted in manual review). */
  review: ReviewInput | undefined;
  /** The cancel request, once one came in (only accepted before a decision). */
  cancel: CancelInput | undefined;
  /** Set once the run failed for good: the customer-link update then answers with the failure. */
  failed = false;

  constructor(private readonly deps: InboxDeps) {}

  /** The relevant webhooks since the last call, oldest first. */
  takeHints(): ReceivedHint[] {
    const taken = this.hints;
    this.hints = [];
    return taken;
  }

  /** Delivery ids an earlier run of this onboarding had seen (it continued as new). */
  rememberDeliveries(deliveryIds: readonly string[]): void {
    for (const id of deliveryIds) this.seenDeliveries.add(id);
  }

  /** The newest `limit` delivery ids, oldest first: what a continuation needs to dedupe a late redelivery. */
  recentDeliveryIds(limit: number): string[] {
    return [...this.seenDeliveries].slice(-limit);
  }

  private isKnownIdv(idvId: string): boolean {
    const { state } = this.deps;
    return (
      this.foreignIdvIds.includes(idvId) ||
      (state.createdIdvIds ?? []).includes(idvId) ||
      (state.extraVerifications ?? []).some((extra) => extra.idvId === idvId)
    );
  }

  /** Registers every handler. Call it before the run's first await, so no early message is lost. */
  register(): void {
    const { workflowId, state, parking, mainScope, isDecided } = this.deps;
    setHandler(getStateQuery, () => state);

    setHandler(ondatoWebhookSignal, (signal: OndatoWebhookSignal) => {
      this.signalsThisRun += 1;
      if (this.seenDeliveries.has(signal.deliveryId)) return; // Ondato redelivers; Temporal does not dedupe signals
      this.seenDeliveries.add(signal.deliveryId);
      state.webhooksReceived += 1;
      if (signal.idvId && state.idvId && signal.idvId !== state.idvId) {
        log.info('ignoring a webhook for another verification', {
          deliveryId: signal.deliveryId,
          type: signal.type,
        });
        if (!this.isKnownIdv(signal.idvId)) this.foreignIdvIds.push(signal.idvId);
        return;
      }
      if (signal.kycId && state.kycId && signal.kycId !== state.kycId) return;
      this.webhookNudges += 1;
      // Past the bound, what the dropped ones said is unknown: a marker no check can skip its fetch for.
      if (this.hints.length >= KEPT_HINTS) this.hints = [{ type: 'hints.dropped' }];
      this.hints.push({ type: signal.type, ...signal.hint });
    });

    setHandler(customerLinkUpdate, async () => {
      await condition(
        () =>
          state.customerUrl !== undefined ||
          state.resumedFromKycId !== undefined ||
          isDecided() ||
          this.failed,
      );
      return {
        workflowId,
        stage: state.stage,
        idvId: state.idvId,
        customerUrl: state.customerUrl,
        outcome: state.outcome,
        resumedFromKycId: state.resumedFromKycId,
        failure: state.failure,
        runId: workflowInfo().runId,
        startToken: this.deps.startToken,
      };
    });

    setHandler(
      resumeUpdate,
      async (request: ResumeInput) => {
        parking.requestResume(request);
        await condition(() => !parking.isParked);
        return state;
      },
      {
        validator: (request: ResumeInput) => {
          validateRequester(request);
          if (!parking.isParked) throw new Error(`the onboarding is not parked (stage: ${state.stage})`);
        },
      },
    );

    // The same from the Temporal UI's "send signal" (no validator there): ignored unless parked.
    setHandler(resumeSignal, (request: ResumeInput) => {
      this.signalsThisRun += 1;
      if (typeof request?.requestedBy === 'string' && request.requestedBy.trim() !== '') {
        parking.requestResume(request);
      }
    });

    setHandler(
      submitReviewUpdate,
      async (review: ReviewInput) => {
        this.review = { reviewerId: review.reviewerId.trim(), decision: review.decision, note: review.note };
        await condition(() => state.review !== undefined);
        return state;
      },
      {
        validator: (review: ReviewInput) => {
          validateReview(review);
          if (state.stage !== 'manual_review' || this.review !== undefined) {
            throw new Error(`no manual review is pending (stage: ${state.stage})`);
          }
        },
      },
    );

    setHandler(
      cancelUpdate,
      async (request: CancelInput) => {
        this.cancel = request;
        mainScope.cancel();
        await condition(() => state.outcome === 'cancelled');
        return state;
      },
      {
        validator: (request: CancelInput) => {
          validateRequester(request);
          if (isDecided() || this.cancel !== undefined) {
            throw new Error(`the onboarding can no longer be cancelled (outcome: ${state.outcome})`);
          }
        },
      },
    );
  }
}
