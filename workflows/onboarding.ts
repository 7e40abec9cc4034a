/**
 * One onboarding per customer: create the Ondato verification, hand out the customer URL, wait (webhook or
 * poll) for the customer and for Ondato, store the documents, decide, and notify the product backend.
 * Deterministic code only: every side effect is an activity.
 */
import {
  CancellationScope,
  condition,
  ContinueAsNew,
  isCancellation,
  proxyActivities,
  workflowInfo,
  allHandlersFinished,
  log,
} from '@temporalio/workflow';
import type { CreatedVerification, OnboardingActivities } from '../activities';
import {
  callbackEventId,
  DEFAULT_REMINDERS,
  reminderEventId,
  CustomerIdKey,
  DEFAULT_TIMEOUTS,
  KycStatusKey,
  OndatoIdvIdKey,
  OnboardingStageKey,
  OutcomeKey,
  RUN_MEMO_KEYS,
  type CallbackEvent,
  type CallbackEventType,
  type ContinuedRun,
  type DecisionRecord,
  type FinalOutcome,
  type IdvSnapshot,
  type KycSummary,
  type OnboardingInput,
  type OnboardingState,
  type OnboardingTimeouts,
  type Outcome,
  type RelinkInput,
  type Stage,
  type WaitingStage,
} from '../contract';
import { Continuation } from './continuation';
import { ExtraVerifications } from './extra-verifications';
import { failureSummary, isOndatoNotFound, surfaceActivityFailure } from './failures';
import { expiryDay, handOverToAftercare } from './handover';
import { RunInbox } from './inbox';
import { Parking } from './parking';
import { runPatches } from './patches';
import { decide } from './policy';
import { Relinks } from './relink';
import { Reminders } from './reminders';
import { RunAttributes } from './run-attributes';
import { customerWaitStep, reviewWaitNeedsFetch, type Wake } from './webhook-hints';

const ondatoCalls = proxyActivities<OnboardingActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});
const callbackCalls = proxyActivities<OnboardingActivities>({
  startToCloseTimeout: '30 seconds',
  // The product backend may be down for a while; the decision is already recorded, so keep trying for a day.
  scheduleToCloseTimeout: '24 hours',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

/**
 * A failing run tells the backend, but briefly: until the run closes, a new start joins it instead of starting
 * over, and GET already shows the failure if the callback is lost.
 */
const failureCallbackCalls = proxyActivities<OnboardingActivities>({
  startToCloseTimeout: '15 seconds',
  scheduleToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '15 seconds' },
});

/** `patched()` ids: one per behaviour change that running histories must replay around. */
const WAKE_ON_WEBHOOK_DURING_CHECK = 'wake-on-webhook-during-check';
const MEMO_KYC_ID = 'memo-kyc-id';
const NOTIFY_ON_FAILURE = 'notify-on-failure';
const DECIDE_AFTER_TEMPORAL_CANCEL = 'decide-after-temporal-cancel';

/** Files are downloaded a few at a time: enough to overlap latency, not enough to flood one worker. */
const DOCUMENT_CONCURRENCY = 3;
const IDV_EXPIRED = 'Expired';
const IDV_ABORTED = 'Aborted';
const IDV_COMPLETED = 'Completed';
const KYC_AWAITING = 'Awaiting';

/** A continuation carries the ids of its stage; a missing one is a bug in the handover, not a state. */
function requireId(value: string | undefined, name: string): string {
  if (value === undefined) throw new Error(`a continued run lacks its ${name}`);
  return value;
}

function nowIso(): string {
  return new Date().toISOString();
}

/** `manual_review` is not final: it turns into approved or rejected once ops decide. */
function finalOutcomeOf(outcome: Outcome | undefined): FinalOutcome | undefined {
  return outcome === undefined || outcome === 'manual_review' ? undefined : outcome;
}

/** What the customer's part of the run ended with: the KYC id to fetch, or an outcome without one. */
type CustomerResult = { finished: true; kycId: string } | { finished: false; outcome: FinalOutcome };

export async function onboardingWorkflow(input: OnboardingInput): Promise<DecisionRecord> {
  const { lean, released } = runPatches();
  const attributes = new RunAttributes(lean);
  const timeouts: OnboardingTimeouts = { ...DEFAULT_TIMEOUTS, ...input.timeouts };
  const documentCalls = proxyActivities<OnboardingActivities>({
    startToCloseTimeout: '30 minutes',
    heartbeatTimeout: timeouts.downloadHeartbeatTimeoutMs,
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
  });
  const workflowId = workflowInfo().workflowId;
  const state: OnboardingState = {
    customerId: input.customerId,
    stage: 'creating_verification',
    reasons: [],
    documents: [],
    timestamps: { startedAt: nowIso() },
    webhooksReceived: 0,
    ...(input.reverificationOf ? { reverificationOf: input.reverificationOf } : {}),
  };
  const mainScope = new CancellationScope();

  const isDecided = (): boolean => finalOutcomeOf(state.outcome) !== undefined;
  const parking = new Parking({
    state,
    retryAfterMs: timeouts.parkedRetryMs,
    enterStage: (stage) => enterStage(stage),
    announce: (attention) =>
      notifyInBackground('onboarding.needs_attention', (state.resumes?.length ?? 0) + 1, {
        attention: { reason: attention.reason, step: attention.step },
      }),
    now: nowIso,
    released,
  });
  const inbox = new RunInbox({
    workflowId,
    state,
    parking,
    mainScope,
    isDecided,
    startToken: input.startToken,
  });
  const extras = new ExtraVerifications({ state, inbox, now: nowIso, released });
  const continuation = new Continuation({ input, state, inbox });
  const createCalls = proxyActivities<OnboardingActivities>({
    startToCloseTimeout: '1 minute',
    heartbeatTimeout: timeouts.createHeartbeatTimeoutMs,
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
  });

  const relinks = new Relinks({
    state,
    graceMs: timeouts.relinkGraceMs,
    hasFailed: () => inbox.failed,
    released,
  });
  /** The current IDV was created by this run and not checked yet: its status is known (the customer starts). */
  let idvIsNew = false;

  inbox.register();
  relinks.register();

  /** The ids every Ondato answer must match (checked by the activities; a mismatch parks the run). */
  function expectedIds(): { customerId: string; idvId?: string; kycId?: string } {
    return { customerId: input.customerId, idvId: state.idvId, kycId: state.kycId };
  }

  function enterStage(stage: Stage): void {
    state.stage = stage;
    attributes.search([{ key: OnboardingStageKey, value: stage }]);
    // Readers take the stage from the search attribute; runs from before lean histories also kept it here.
    if (!lean) attributes.setMemo({ [RUN_MEMO_KEYS.stage]: stage });
  }

  function recordIdv(snapshot: IdvSnapshot): void {
    state.idvStatus = snapshot.status;
    if (snapshot.kycId && state.kycId !== snapshot.kycId) {
      state.kycId = snapshot.kycId;
    }
  }

  function recordKyc(kyc: KycSummary): void {
    state.kycStatus = kyc.status;
    attributes.search([{ key: KycStatusKey, value: kyc.status }]);
  }

  /**
   * Waits until `check` says it is done, re-checking after every relevant webhook and at every poll tick
   * (the fallback for lost webhooks), until the deadline. Returns false when the deadline passed first.
   */
  async function waitUntil(
    stage: WaitingStage,
    check: (wake: Wake) => Promise<boolean>,
    deadline: { at?: number; afterMs: number },
  ): Promise<boolean> {
    const deadlineAt = deadline.at ?? Date.now() + deadline.afterMs;
    // Histories recorded before these existed wake only on nudges and polls, and never continue as new.
    const handlesExtras = ExtraVerifications.enabled(released);
    const mayContinue = Continuation.enabled(released);
    let reason: Wake['reason'] = 'began';
    for (;;) {
      const nudgesBeforeCheck = inbox.webhookNudges;
      if (await check({ reason, hints: inbox.takeHints() })) return true;
      const remaining = deadlineAt - Date.now();
      if (remaining <= 0) return false;
      // A webhook that arrived while `check` ran must wake the wait at once, not at the next poll. Histories
      // recorded before this fix counted from after the check: replay keeps that behaviour for them.
      const nudgesSeen = released(WAKE_ON_WEBHOOK_DURING_CHECK) ? nudgesBeforeCheck : inbox.webhookNudges;
      const pollAt = Date.now() + Math.min(timeouts.pollIntervalMs, remaining);
      // Extra verifications and a due continuation are dealt with in the wait, without fetching again.
      for (;;) {
        const woken = await condition(
          () =>
            inbox.webhookNudges !== nudgesSeen ||
            (handlesExtras && extras.pending) ||
            (mayContinue && continuation.due),
          pollAt - Date.now(),
        );
        if (handlesExtras) await extras.settleWebhookNamed();
        if (mayContinue && continuation.due) await continuation.continueFrom(stage, deadlineAt);
        if (!woken || inbox.webhookNudges !== nudgesSeen || Date.now() >= pollAt) break;
      }
      // A due poll tick fetches whatever webhooks came with it (they may be hints that would skip the fetch).
      reason = Date.now() < pollAt && inbox.webhookNudges !== nudgesSeen ? 'webhook' : 'poll';
    }
  }

  /**
   * Waits for the customer on the current IDV until the customer deadline, sending reminders meanwhile. When
   * Ondato ends the session, a run with a relink grace waits for the product to ask for a fresh link and then
   * waits on the new IDV; the deadline stays the run's.
   */
  async function awaitCustomer(deadlineAt?: number): Promise<CustomerResult> {
    const customerDeadlineAt = deadlineAt ?? Date.now() + timeouts.customerDeadlineMs;
    state.customerDeadlineAt = new Date(customerDeadlineAt).toISOString();
    const sessionEnded = (): boolean => state.idvStatus === IDV_EXPIRED || state.idvStatus === IDV_ABORTED;
    const reminders = Reminders.enabled(released)
      ? new Reminders({
          state,
          offsets: input.reminders ?? DEFAULT_REMINDERS,
          now: nowIso,
          send: (reminder) =>
            notify(
              'onboarding.reminder_due',
              reminder.number,
              {
                reminder: {
                  number: reminder.number,
                  customerUrl: reminder.customerUrl,
                  customerUrlValidUntil: reminder.validUntil,
                },
              },
              callbackCalls,
              reminderEventId(workflowId, reminder.idvId, reminder.number),
            ),
        })
      : undefined;
    reminders?.start(customerDeadlineAt, sessionEnded);
    try {
      for (;;) {
        const idvId = requireId(state.idvId, 'idvId');
        let ended: FinalOutcome | undefined;
        let kycId: string | undefined;
        const finished = await waitUntil(
          'awaiting_customer',
          async (wake) => {
            if (lean) {
              const step = customerWaitStep(wake, idvIsNew);
              idvIsNew = false;
              if (step.kind === 'skip') return false;
              if (step.kind === 'finished') {
                recordIdv({ idvId, status: IDV_COMPLETED, kycId: step.kycId });
                kycId = state.kycId;
                return true;
              }
            }
            const idv = await parking.step('awaiting_customer', () =>
              ondatoCalls.getVerification(idvId, expectedIds()),
            );
            recordIdv(idv);
            kycId = state.kycId;
            if (idv.status === IDV_EXPIRED) ended = 'expired';
            else if (idv.status === IDV_ABORTED) ended = 'abandoned';
            // Completed means the customer finished; the KYC id may appear a moment later.
            return ended !== undefined || (idv.status === IDV_COMPLETED && kycId !== undefined);
          },
          { at: customerDeadlineAt, afterMs: timeouts.customerDeadlineMs },
        );
        if (ended) {
          const relink = await relinks.awaitRequest(customerDeadlineAt);
          if (relink) {
            await issueFreshLink(relink);
            continue;
          }
          state.reasons = [`ondato_idv_${ended === 'expired' ? 'expired' : 'aborted'}`];
          return { finished: false, outcome: ended };
        }
        if (!finished || kycId === undefined) {
          state.reasons = ['customer_deadline_passed'];
          return { finished: false, outcome: 'expired' };
        }
        state.timestamps.customerFinishedAt = nowIso();
        // Readers of a closed run (a retry) find the finished verification without a worker.
        if (released(MEMO_KYC_ID)) attributes.setMemo({ [RUN_MEMO_KEYS.kycId]: kycId });
        return { finished: true, kycId };
      }
    } finally {
      reminders?.stop();
    }
  }

  /** A new IDV for the product's fresh-link request; the replaced one stays ours (its webhooks are ignored). */
  async function issueFreshLink(request: RelinkInput): Promise<void> {
    const replacedIdvId = requireId(state.idvId, 'idvId');
    const replacedIdvStatus = state.idvStatus;
    const earlier = state.createdIdvIds ?? [replacedIdvId];
    const created = await createCalls.createVerification({
      customerId: input.customerId,
      registration: input.registration,
      setupId: input.setupId,
    });
    // Known before the switch, so a late webhook for the replaced IDV is never taken for an extra to redact.
    state.createdIdvIds = [...earlier, created.idvId];
    state.idvStatus = undefined;
    recordLink(created);
    idvIsNew = true;
    await extras.afterCreate(created);
    state.createdIdvIds = [...earlier, ...(state.createdIdvIds ?? [])];
    state.relinks = [
      ...(state.relinks ?? []),
      {
        requestedBy: request.requestedBy,
        replacedIdvId,
        replacedIdvStatus,
        idvId: created.idvId,
        at: nowIso(),
      },
    ];
    relinks.served();
    log.info('issued a fresh customer link', { replacedIdvId, idvId: created.idvId });
  }

  async function fetchResults(kycId: string, reviewDeadlineAt?: number): Promise<KycSummary> {
    enterStage('fetching_results');
    let kyc = await parking.step('fetching_results', () =>
      ondatoCalls.getIdentification(kycId, expectedIds()),
    );
    recordKyc(kyc);
    if (kyc.status === KYC_AWAITING) {
      enterStage('awaiting_ondato_review');
      await waitUntil(
        'awaiting_ondato_review',
        async (wake) => {
          if (lean && !reviewWaitNeedsFetch(wake)) return false;
          kyc = await parking.step('awaiting_ondato_review', () =>
            ondatoCalls.getIdentification(kycId, expectedIds()),
          );
          recordKyc(kyc);
          return kyc.status !== KYC_AWAITING;
        },
        { at: reviewDeadlineAt, afterMs: timeouts.ondatoReviewDeadlineMs },
      );
    }
    state.timestamps.resultsFetchedAt = nowIso();
    return kyc;
  }

  async function storeDocuments(kyc: KycSummary): Promise<void> {
    enterStage('storing_documents');
    if (lean) {
      // One activity for every file (it copies a few at a time and resumes after the ones stored).
      if (kyc.files.length === 0) return;
      state.documents = await parking.step('storing_documents', () =>
        documentCalls.storeDocuments({ customerId: input.customerId, kycId: kyc.kycId, files: kyc.files }),
      );
      return;
    }
    const queue = [...kyc.files];
    const worker = async (): Promise<void> => {
      for (let file = queue.shift(); file; file = queue.shift()) {
        const stored = await parking.step('storing_documents', () =>
          documentCalls.storeDocument({ customerId: input.customerId, kycId: kyc.kycId, file }),
        );
        state.documents.push(stored);
      }
    };
    await Promise.all(Array.from({ length: Math.min(DOCUMENT_CONCURRENCY, queue.length) }, worker));
    // Parallel downloads finish in any order; keep the record stable for readers and replays.
    state.documents.sort((a, b) => a.key.localeCompare(b.key));
  }

  /** Waits for the ops decision (escalating once if it is late) and returns it as the run's outcome. */
  async function awaitOpsDecision(escalateAt?: number): Promise<FinalOutcome> {
    enterStage('manual_review');
    const escalationAt = escalateAt ?? Date.now() + timeouts.manualReviewEscalationMs;
    const mayContinue = Continuation.enabled();
    const reviewedOrBusy = (): boolean => inbox.review !== undefined || (mayContinue && continuation.due);
    while (inbox.review === undefined) {
      if (state.timestamps.escalatedAt === undefined) {
        const remaining = escalationAt - Date.now();
        const woken = remaining > 0 && (await condition(reviewedOrBusy, remaining));
        if (!woken) {
          state.timestamps.escalatedAt = nowIso();
          await notify('onboarding.review_escalated');
          continue;
        }
      } else {
        await condition(reviewedOrBusy);
      }
      if (inbox.review === undefined) await continuation.continueFrom('manual_review', escalationAt);
    }
    const review = inbox.review;
    if (review === undefined) throw new Error('unreachable: the review condition resolved without a review');
    state.review = { ...review, decidedAt: nowIso() };
    state.outcome = review.decision;
    state.reasons = [...state.reasons, `ops_${review.decision}:${review.reviewerId}`];
    return review.decision;
  }

  async function notify(
    type: CallbackEventType,
    occurrence = 1,
    extra: Pick<CallbackEvent, 'attention' | 'failure' | 'reminder'> = {},
    calls = callbackCalls,
    eventId = callbackEventId(workflowId, workflowInfo().runId, type, occurrence),
  ): Promise<void> {
    const event: CallbackEvent = {
      eventId,
      type,
      customerId: input.customerId,
      workflowId,
      outcome: finalOutcomeOf(state.outcome),
      reasons: state.reasons,
      idvId: state.idvId,
      kycId: state.kycId,
      ...extra,
      occurredAt: nowIso(),
    };
    try {
      const result = await calls.notifyBackend({ callbackUrl: input.callbackUrl, event });
      if (result.delivered && (type === 'onboarding.completed' || type === 'onboarding.review_escalated')) {
        state.timestamps.notifiedAt = result.deliveredAt;
      }
    } catch (error) {
      // The decision stands even if the backend never takes the callback: it can still read it from the API.
      if (isCancellation(error)) throw error;
      state.lastError = `callback failed: ${error instanceof Error ? error.message : String(error)}`;
      log.warn('callback to the product backend failed', { type });
    }
  }

  /** Beside the run's own progress (a parked run must stay resumable while the backend is down). */
  function notifyInBackground(
    type: CallbackEventType,
    occurrence: number,
    extra: Pick<CallbackEvent, 'attention' | 'failure'>,
  ): void {
    notify(type, occurrence, extra).catch(() => undefined);
  }

  /**
   * A retry that takes over an earlier run's finished verification: true when Ondato still has the
   * identification (no new IDV, no customer link), false when it no longer does (404: a new IDV is needed).
   */
  async function takeOver(from: { idvId: string; kycId: string }): Promise<boolean> {
    state.idvId = from.idvId;
    attributes.search([{ key: OndatoIdvIdKey, value: from.idvId }]);
    enterStage('fetching_results');
    const stillThere = await parking.step('fetching_results', async () => {
      try {
        await ondatoCalls.getIdentification(from.kycId, {
          customerId: input.customerId,
          idvId: from.idvId,
          kycId: from.kycId,
        });
        return true;
      } catch (error) {
        if (isOndatoNotFound(error)) return false;
        throw error;
      }
    });
    if (!stillThere) {
      log.info('the earlier verification is gone at Ondato: starting a new one', { kycId: from.kycId });
      state.idvId = undefined;
      enterStage('creating_verification');
      return false;
    }
    state.kycId = from.kycId;
    state.resumedFromKycId = from.kycId;
    attributes.setMemo({
      [RUN_MEMO_KEYS.customerId]: input.customerId,
      [RUN_MEMO_KEYS.idvId]: from.idvId,
      [RUN_MEMO_KEYS.kycId]: from.kycId,
    });
    return true;
  }

  async function verifyCustomer(): Promise<CustomerResult> {
    const created = await createCalls.createVerification({
      customerId: input.customerId,
      registration: input.registration,
      setupId: input.setupId,
    });
    recordLink(created);
    await extras.afterCreate(created);

    enterStage('awaiting_customer');
    idvIsNew = true;
    return awaitCustomer();
  }

  /** The run's current IDV and customer link, where readers look for them. */
  function recordLink(created: CreatedVerification): void {
    state.idvId = created.idvId;
    state.customerUrl = created.customerUrl;
    state.timestamps.customerUrlIssuedAt = nowIso();
    attributes.search([{ key: OndatoIdvIdKey, value: created.idvId }]);
    attributes.setMemo({
      [RUN_MEMO_KEYS.customerId]: input.customerId,
      [RUN_MEMO_KEYS.idvId]: created.idvId,
      [RUN_MEMO_KEYS.customerUrl]: created.customerUrl,
    });
  }

  /** A continuation: the earlier run's state back in place, then the wait it was in. */
  async function resumeContinued(continued: ContinuedRun): Promise<FinalOutcome> {
    continuation.restore(continued);
    enterStage(continued.stage);
    const deadlineAt = Date.parse(continued.deadlineAt);
    switch (continued.stage) {
      case 'awaiting_customer': {
        requireId(state.idvId, 'idvId');
        const customer = await awaitCustomer(deadlineAt);
        return customer.finished ? decideOn(customer.kycId) : customer.outcome;
      }
      case 'awaiting_ondato_review':
        return decideOn(requireId(state.kycId, 'kycId'), deadlineAt);
      case 'manual_review':
        return awaitOpsDecision(deadlineAt);
    }
  }

  /** From the customer's finished KYC to an outcome: fetch, store, decide, and wait for ops if need be. */
  async function decideOn(kycId: string, reviewDeadlineAt?: number): Promise<FinalOutcome> {
    const kyc = await fetchResults(kycId, reviewDeadlineAt);
    await storeDocuments(kyc);

    enterStage('deciding');
    state.documentExpiresOn = expiryDay(kyc.document?.dateOfExpiration);
    const decision = decide({
      kyc,
      registration: input.registration,
      storedDocuments: state.documents,
      today: nowIso().slice(0, 10),
    });
    state.policyVersion = decision.policyVersion;
    state.reasons = decision.reasons;
    state.outcome = decision.outcome;
    attributes.search([{ key: OutcomeKey, value: decision.outcome }]);
    if (decision.outcome !== 'manual_review') return decision.outcome;
    return awaitOpsDecision();
  }

  async function run(): Promise<FinalOutcome> {
    if (input.continued) return resumeContinued(input.continued);
    const initial = [
      { key: CustomerIdKey, value: input.customerId },
      { key: OnboardingStageKey, value: state.stage },
    ];
    // The API starts runs with these already set: a lean run upserts only what its start did not set.
    const preset = workflowInfo().typedSearchAttributes;
    attributes.search(lean ? initial.filter(({ key, value }) => preset.get(key) !== value) : initial);
    const customer: CustomerResult =
      input.resumeFrom && (await takeOver(input.resumeFrom))
        ? { finished: true, kycId: input.resumeFrom.kycId }
        : await verifyCustomer();
    if (!customer.finished) return customer.outcome;
    return decideOn(customer.kycId);
  }

  let outcome: FinalOutcome;
  try {
    outcome = await mainScope.run(run);
  } catch (error) {
    if (error instanceof ContinueAsNew) {
      attributes.flush();
      throw error;
    }
    if (!isCancellation(error)) {
      const surfaced = surfaceActivityFailure(error);
      state.failure = failureSummary(surfaced, state.stage);
      state.lastError = error instanceof Error ? error.message : String(error);
      inbox.failed = true;
      if (released(NOTIFY_ON_FAILURE)) {
        const { type, stage } = state.failure;
        await CancellationScope.nonCancellable(() =>
          notify('onboarding.failed', 1, { failure: { type, stage } }, failureCallbackCalls),
        );
      }
      await condition(allHandlersFinished);
      attributes.flush();
      throw surfaced;
    }
    // Cancelled by an ops update or from the Temporal UI: record it, still tell the backend.
    outcome = 'cancelled';
    state.reasons = [inbox.cancel ? `cancelled_by:${inbox.cancel.requestedBy}` : 'cancelled'];
    if (inbox.cancel?.reason) state.reasons.push(`cancel_reason:${inbox.cancel.reason}`);
  }

  state.outcome = outcome;
  state.timestamps.decidedAt = nowIso();
  attributes.search([{ key: OutcomeKey, value: outcome }]);
  await CancellationScope.nonCancellable(async () => {
    enterStage('notifying');
    await notify('onboarding.completed');
    enterStage('completed');
    await handOverToAftercare(
      state,
      {
        workflowId,
        runId: workflowInfo().runId,
        outcome,
        closedAt: nowIso(),
        ...(outcome === 'approved' && state.documentExpiresOn
          ? { documentExpiresOn: state.documentExpiresOn }
          : {}),
        ...(input.callbackUrl ? { callbackUrl: input.callbackUrl } : {}),
      },
      input.handOverToAftercare !== false,
      released,
    );
  });
  state.timestamps.completedAt = nowIso();
  // After a cancellation from Temporal (client or UI) the root scope is cancelled too: waiting in it would throw
  // and end the run CANCELLED without its decision record. Histories from before the fix replay as they ran.
  if (released(DECIDE_AFTER_TEMPORAL_CANCEL))
    await CancellationScope.nonCancellable(() => condition(allHandlersFinished));
  else await condition(allHandlersFinished);
  attributes.flush();

  return {
    customerId: input.customerId,
    outcome,
    reasons: state.reasons,
    policyVersion: state.policyVersion,
    idvId: state.idvId,
    kycId: state.kycId,
    documents: state.documents,
    review: state.review,
    timestamps: state.timestamps,
  };
}
