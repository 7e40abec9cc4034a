/**
 * What a lean run makes of the webhooks that woke a wait, before it calls Ondato. The payload is a hint, never
 * the truth for a decision: the KYC identification is always fetched before deciding. But a webhook whose
 * status cannot end the wait needs no fetch, and an IDV webhook saying `Completed` with its KYC id tells the
 * customer wait what a fetch would. Pure functions over the hints; deterministic workflow code.
 */
import type { WebhookHint } from '../contract';

/** A webhook as the run's inbox kept it for the next wait check. */
export interface ReceivedHint extends WebhookHint {
  type: string;
}

/** Why a wait check runs: the wait began, webhooks came, or the poll tick (the fallback for lost webhooks). */
export type WakeReason = 'began' | 'webhook' | 'poll';

export interface Wake {
  reason: WakeReason;
  /** Webhooks taken in since the previous check (also before the wait began). */
  hints: readonly ReceivedHint[];
}

const IDV_ENDING = new Set(['Completed', 'Expired', 'Aborted']);
const KYC_AWAITING = 'Awaiting';

function isIdvEvent(hint: ReceivedHint): boolean {
  return hint.type.startsWith('IdentityVerification.');
}

export type CustomerWaitStep = { kind: 'fetch' } | { kind: 'skip' } | { kind: 'finished'; kycId: string };

/**
 * The customer wait: finished when an IDV webhook says `Completed` with the KYC id; nothing to fetch when the
 * wait just began on a new IDV or every webhook names a status that cannot end it; otherwise fetch the IDV.
 * A poll tick always fetches.
 */
export function customerWaitStep(wake: Wake, idvIsNew: boolean): CustomerWaitStep {
  if (wake.reason === 'poll') return { kind: 'fetch' };
  const completed = wake.hints.find(
    (hint) => isIdvEvent(hint) && hint.status === 'Completed' && hint.kycId !== undefined,
  );
  if (completed?.kycId !== undefined) return { kind: 'finished', kycId: completed.kycId };
  if (wake.reason === 'began' && !idvIsNew) return { kind: 'fetch' };
  const harmless = wake.hints.every(
    (hint) => isIdvEvent(hint) && hint.status !== undefined && !IDV_ENDING.has(hint.status),
  );
  return harmless ? { kind: 'skip' } : { kind: 'fetch' };
}

/**
 * The wait for Ondato's review of an `Awaiting` identification (just fetched when the wait begins): fetch
 * again only on the poll tick or when a webhook may carry the decision (a KYC status other than `Awaiting`, or
 * none). IDV webhooks cannot change the identification.
 */
export function reviewWaitNeedsFetch(wake: Wake): boolean {
  if (wake.reason === 'poll') return true;
  return !wake.hints.every((hint) => isIdvEvent(hint) || hint.status === KYC_AWAITING);
}
