/**
 * What the product backend receives: ids and the outcome, no personal data. Delivery is at least once, so the
 * backend deduplicates on `eventId` (also sent as a header); the signature header lets it check origin and age.
 */
import type { FinalOutcome } from './types';

export const CALLBACK_EVENT_TYPES = ['onboarding.completed', 'onboarding.review_escalated'] as const;
export type CallbackEventType = (typeof CALLBACK_EVENT_TYPES)[number];

export interface CallbackEvent {
  /** Stable across redeliveries of the same event: `<workflowId>/<runId>/<type>`. */
  eventId: string;
  type: CallbackEventType;
  customerId: string;
  workflowId: string;
  outcome?: FinalOutcome;
  reasons: string[];
  idvId?: string;
  kycId?: string;
  occurredAt: string;
}

export function callbackEventId(workflowId: string, runId: string, type: CallbackEventType): string {
  return `${workflowId}/${runId}/${type}`;
}

/** `t=<unix seconds>, v1=<hex HMAC-SHA256 of "<t>.<raw body>">` with the shared CALLBACK_SECRET. */
export const CALLBACK_SIGNATURE_HEADER = 'x-onboarding-signature';
export const CALLBACK_EVENT_ID_HEADER = 'x-onboarding-event-id';
