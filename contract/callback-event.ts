/**
 * What the product backend receives: ids and the outcome, no personal data. Delivery is at least once, so the
 * backend deduplicates on `eventId` (also sent as a header); the signature header lets it check origin and age.
 */
import type { FinalOutcome } from './types';

export const CALLBACK_EVENT_TYPES = [
  'onboarding.completed',
  'onboarding.review_escalated',
  /** The run parked after a step failed; it keeps its ids and resumes (ops or timer). No action needed. */
  'onboarding.needs_attention',
  /** The run failed for good (only before the customer had a link, or a bug): start a new one. */
  'onboarding.failed',
  /** The customer has not finished yet: the product sends its own email or SMS with the link. */
  'onboarding.reminder_due',
  /** An approved customer's identity document expires soon: the product asks for a re-verification. */
  'onboarding.reverification_due',
  /** The customer's data was erased (on request or by retention): ids only, nothing left to read. */
  'onboarding.erased',
] as const;
export type CallbackEventType = (typeof CALLBACK_EVENT_TYPES)[number];

export interface CallbackEvent {
  /** Stable across redeliveries of the same event: `<workflowId>/<runId>/<type>[/<occurrence>]`. */
  eventId: string;
  type: CallbackEventType;
  customerId: string;
  workflowId: string;
  outcome?: FinalOutcome;
  reasons: string[];
  idvId?: string;
  kycId?: string;
  /** `onboarding.needs_attention`: the failure type and the stage that failed. */
  attention?: { reason: string; step: string };
  /** `onboarding.failed`: the failure type and the stage the run failed in. */
  failure?: { type: string; stage: string };
  /** `onboarding.reminder_due`: which reminder, the link to send, and until when it works. */
  reminder?: { number: number; customerUrl: string; customerUrlValidUntil: string };
  /** `onboarding.reverification_due`: the identity document's expiry (YYYY-MM-DD). */
  reverification?: { documentExpiresOn: string };
  /** `onboarding.erased`: the erasure's id. */
  erasure?: { erasureId: string };
  occurredAt: string;
}

/** `occurrence` tells apart events a run can send more than once (it may park several times). */
export function callbackEventId(
  workflowId: string,
  runId: string,
  type: CallbackEventType,
  occurrence = 1,
): string {
  return occurrence > 1 ? `${workflowId}/${runId}/${type}/${occurrence}` : `${workflowId}/${runId}/${type}`;
}

/**
 * A reminder's event id names the link's IDV instead of the run: stable across continue-as-new (the run id
 * changes), and a fresh link's reminders are events of their own.
 */
export function reminderEventId(workflowId: string, idvId: string, number: number): string {
  return `${workflowId}/${idvId}/onboarding.reminder_due/${number}`;
}

/** `t=<unix seconds>, v1=<hex HMAC-SHA256 of "<t>.<raw body>">` with the shared CALLBACK_SECRET. */
export const CALLBACK_SIGNATURE_HEADER = 'x-onboarding-signature';
export const CALLBACK_EVENT_ID_HEADER = 'x-onboarding-event-id';
