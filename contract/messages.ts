/**
 * Every message of the onboarding workflow (signals, queries, updates) with its argument types, defined once
 * and imported by both the workflow and its clients (the API, tests, bench).
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { OnboardingState, RunFailureSummary, Stage } from './types';

/**
 * A webhook relayed by the API. Only ids and a status: the payload is a hint and the workflow re-fetches from
 * Ondato before it decides, so no personal data needs to pass through the signal.
 */
export interface OndatoWebhookSignal {
  /** Ondato's delivery event id: the dedupe key. */
  deliveryId: string;
  type: string;
  idvId?: string;
  kycId?: string;
  createdUtc?: string;
  /** What the payload said: lets a run skip a re-fetch when the webhook cannot change what it waits for. */
  hint?: WebhookHint;
}

/** A webhook payload's status and KYC id (for an IDV event, `step.kycIdentification.id`). Not personal data. */
export interface WebhookHint {
  status?: string;
  kycId?: string;
}
export const ondatoWebhookSignal = defineSignal<[OndatoWebhookSignal]>('ondatoWebhook');

export const getStateQuery = defineQuery<OnboardingState>('getState');

export interface CustomerLink {
  workflowId: string;
  stage: Stage;
  idvId?: string;
  customerUrl?: string;
  /** Present when the run ended before a URL existed (e.g. Ondato refused the verification). */
  outcome?: OnboardingState['outcome'];
  /** Present when the run took over an earlier run's finished verification: no customer link is needed. */
  resumedFromKycId?: string;
  /** Present when the run failed before a link existed (e.g. Ondato refused the verification). */
  failure?: RunFailureSummary;
  /** The run answering (absent from workers older than this field). */
  runId?: string;
  /** The start token of the run's input (absent from workers older than this field, or runs started without). */
  startToken?: string;
}
/** Used with update-with-start: completes once the customer URL exists, so the start call can return it. */
export const customerLinkUpdate = defineUpdate<CustomerLink>('customerLink');

export interface ReviewInput {
  reviewerId: string;
  decision: 'approved' | 'rejected';
  note?: string;
}
/** An ops decision for a run in manual review; the validator refuses it in any other stage. */
export const submitReviewUpdate = defineUpdate<OnboardingState, [ReviewInput]>('submitReview');

export interface CancelInput {
  requestedBy: string;
  reason?: string;
}
/** Ends a run that has not decided yet with outcome `cancelled`; refused once a decision exists. */
export const cancelUpdate = defineUpdate<OnboardingState, [CancelInput]>('cancel');

export interface ResumeInput {
  requestedBy: string;
  note?: string;
}
/** Ops resume a parked run (`needs_attention`) now; refused in any other stage. Used by the API. */
export const resumeUpdate = defineUpdate<OnboardingState, [ResumeInput]>('resumeRun');
/**
 * The same as a signal, which ops can send from the run's page in the Temporal UI:
 * name `resume`, input `{"requestedBy": "<who>"}`. Ignored unless the run is parked.
 */
export const resumeSignal = defineSignal<[ResumeInput]>('resume');

export interface RelinkInput {
  /** The backend key identity that asked. */
  requestedBy: string;
  /**
   * The IDV the caller saw as the run's current one (the API reads it from the run's memo): a request about
   * a link that was already replaced is refused, and the update id derived from it joins a repeated request.
   */
  expiredIdvId: string;
}
/**
 * A fresh customer link after Ondato expired the session or the customer aborted it: the run creates a new IDV
 * and answers with its state (the new `customerUrl`). Refused unless the run waits for one (stage
 * `awaiting_customer`, Ondato said `Expired`/`Aborted`, within the relink grace and the customer deadline).
 */
export const relinkUpdate = defineUpdate<OnboardingState, [RelinkInput]>('relink');
