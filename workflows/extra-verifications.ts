/**
 * Verifications beside the run's own. Ondato has no idempotency key, so a retried create can leave an IDV
 * behind; the create activity reports what it knows (ids of earlier attempts, attempts whose answer was lost),
 * and webhooks can name an IDV with our reference that is not the run's. Each one is recorded in the run's state
 * (ids only) and, when it has an id, redacted at Ondato or left alone with a reason. Deterministic workflow code.
 */
import { isCancellation, log, patched, proxyActivities, upsertMemo } from '@temporalio/workflow';
import type { CreatedVerification, OnboardingActivities } from '../activities';
import { RUN_MEMO_KEYS, type ExtraVerification, type OnboardingState } from '../contract';
import type { RunInbox } from './inbox';
import type { PatchCheck } from './patches';

/** `patched()` id: runs recorded before this did not redact or record extra verifications. */
const RECORD_EXTRA_VERIFICATIONS = 'record-extra-verifications';

/** A redaction is housekeeping: retried for a while, then recorded as failed (ops can redact by hand). */
const cleanupCalls = proxyActivities<OnboardingActivities>({
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '10 minutes',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export interface ExtraVerificationsDeps {
  state: OnboardingState;
  inbox: RunInbox;
  now(): string;
  released: PatchCheck;
}

export class ExtraVerifications {
  constructor(private readonly deps: ExtraVerificationsDeps) {}

  /** Records what the create call made; redacts the IDVs it made and does not use. */
  async afterCreate(created: CreatedVerification): Promise<void> {
    const { state } = this.deps;
    state.createdIdvIds = [...(created.extraIdvIds ?? []), created.idvId];
    const unanswered = created.unansweredCreates ?? 0;
    if ((created.extraIdvIds ?? []).length === 0 && unanswered === 0) return;
    if (!this.deps.released(RECORD_EXTRA_VERIFICATIONS)) return;
    for (let attempt = 0; attempt < unanswered; attempt += 1) {
      // The IDV may exist, but nothing in Ondato's API can name it: visible, so ops know to look.
      log.warn('a create attempt died before Ondato answered: an unnamed verification may exist', {
        idvId: created.idvId,
      });
      this.record({ origin: 'intent_only', noticedAt: this.deps.now(), disposition: 'unknown_id' });
    }
    for (const idvId of created.extraIdvIds ?? []) await this.settle(idvId, 'retried_create');
  }

  /** True when webhooks named IDVs the run has not looked into yet. */
  get pending(): boolean {
    return this.deps.inbox.foreignIdvIds.length > 0;
  }

  /** Looks into every IDV that webhooks named beside the run's own. */
  async settleWebhookNamed(): Promise<void> {
    for (let idvId = this.next(); idvId !== undefined; idvId = this.next()) {
      await this.settle(idvId, 'webhook');
    }
  }

  /** Whether this run records extras at all (false while replaying histories from before it did). */
  static enabled(released: PatchCheck = patched): boolean {
    return released(RECORD_EXTRA_VERIFICATIONS);
  }

  private next(): string | undefined {
    return this.deps.inbox.foreignIdvIds.shift();
  }

  private async settle(idvId: string, origin: ExtraVerification['origin']): Promise<void> {
    const { state } = this.deps;
    const noticedAt = this.deps.now();
    let outcome: Pick<ExtraVerification, 'disposition' | 'note'>;
    try {
      outcome = await cleanupCalls.redactExtraVerification({
        idvId,
        customerId: state.customerId,
        currentIdvId: state.idvId,
        createdAfter: state.timestamps.startedAt,
      });
    } catch (error) {
      if (isCancellation(error)) throw error;
      outcome = { disposition: 'redaction_failed', note: error instanceof Error ? error.name : 'Error' };
    }
    log.warn('an extra verification was found', { idvId, origin, disposition: outcome.disposition });
    this.record({ idvId, origin, noticedAt, ...outcome });
  }

  private record(extra: ExtraVerification): void {
    const { state } = this.deps;
    state.extraVerifications = [...(state.extraVerifications ?? []), extra];
    upsertMemo({ [RUN_MEMO_KEYS.extraVerifications]: state.extraVerifications.length });
  }
}
