/**
 * A customer's aftercare, one long-lived run per customer (`aftercare-<customerId>`): after an onboarding
 * closes it sends `onboarding.reverification_due` before the identity document expires, erases the customer's
 * data once the retention period of the outcome has passed, holds both while a legal hold is on, and is the one
 * place that orders holds and erasure requests (an erasure never starts under a hold, a hold never lands on a
 * running erasure). Ids and dates only. Deterministic workflow code.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  ParentClosePolicy,
  proxyActivities,
  setHandler,
  setWorkflowOptions,
  startChild,
  uuid4,
  workflowInfo,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import type { OnboardingActivities } from '../activities';
import type { AftercarePolicy, LifecycleActivities } from '../activities/lifecycle';
import {
  callbackEventId,
  erasureWorkflowId,
  getAftercareStateQuery,
  LIFECYCLE_REFUSALS,
  onboardingClosedSignal,
  requestErasureUpdate,
  setLegalHoldUpdate,
  type AftercareInput,
  type AftercareState,
  type CallbackEvent,
  type ErasureAccepted,
  type ErasureTrigger,
  type LegalHoldInput,
} from '../contract';
import { erasureWorkflow } from './erasure';

const policyCalls = proxyActivities<LifecycleActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});
const callbackCalls = proxyActivities<OnboardingActivities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '24 hours',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

/** Continue as new well before Temporal's limits: the run lives for years and takes a signal per onboarding. */
const HISTORY_EVENTS_BEFORE_CONTINUING = 2_000;
const MAX_HOLD_REASON_LENGTH = 200;
/** After a retention erasure failed, when retention tries again. */
const RETENTION_RETRY_MS = 24 * 60 * 60 * 1000;

function nowIso(): string {
  return new Date().toISOString();
}

/** Midnight UTC of a `YYYY-MM-DD` date; NaN for anything else. */
function startOfDay(date: string): number {
  return /^\d{4}-\d{2}-\d{2}$/.test(date) ? Date.parse(`${date}T00:00:00Z`) : Number.NaN;
}

function validateHold(state: AftercareState, hold: LegalHoldInput): void {
  if (state.erasure) {
    throw new Error(
      `${LIFECYCLE_REFUSALS.erasureInProgress}: erasure ${state.erasure.erasureId} is already running`,
    );
  }
  if (typeof hold.on !== 'boolean') throw new Error('validation_failed: `on` must be true or false');
  if (!hold.requestedBy) throw new Error('validation_failed: the hold names who set it');
  if (hold.reason !== undefined && hold.reason.length > MAX_HOLD_REASON_LENGTH) {
    throw new Error(`validation_failed: the reason is at most ${MAX_HOLD_REASON_LENGTH} characters`);
  }
}

/**
 * Not pinned to the build that started it: the run lives for years and would keep its build from ever draining.
 * It moves to the current build at its next workflow task, so every change to it goes behind `patched()`.
 */
setWorkflowOptions(
  // Only on a versioned worker: declaring a behavior to an unversioned one left its first task hanging.
  () =>
    workflowInfo().currentDeploymentVersion?.deploymentName ? { versioningBehavior: 'AUTO_UPGRADE' } : {},
  aftercareWorkflow,
);

export async function aftercareWorkflow(input: AftercareInput): Promise<AftercareState> {
  const state: AftercareState = input.continued?.state ?? {
    customerId: input.customerId,
    ...(input.closed ? { latest: input.closed } : {}),
    ...(input.legalHold ? { legalHold: input.legalHold } : {}),
  };
  /** Bumped by every message: the wait below re-evaluates. */
  let changes = 0;
  /** The latest onboarding changed: the timers are set again from the policy as configured now. */
  let timersStale = input.continued ? input.continued.timersStale === true : state.latest !== undefined;
  let erasure: ChildWorkflowHandle<typeof erasureWorkflow> | undefined;

  async function startErasure(
    trigger: ErasureTrigger,
    requestedBy: string,
    erasureId: string,
  ): Promise<void> {
    state.erasure = { erasureId, trigger, requestedBy, startedAt: nowIso() };
    if (trigger === 'retention') state.retentionErasureId = erasureId;
    changes += 1;
    log.info('erasure starting', { customerId: state.customerId, erasureId, trigger });
    erasure = await startChild(erasureWorkflow, {
      workflowId: erasureWorkflowId(erasureId),
      args: [
        {
          erasureId,
          customerId: state.customerId,
          requestedBy,
          trigger,
          requestedAt: state.erasure.startedAt,
          ...(state.latest?.callbackUrl ? { callbackUrl: state.latest.callbackUrl } : {}),
        },
      ],
      // The erasure deletes this run's history at its end: it must outlive it.
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
  }

  setHandler(getAftercareStateQuery, () => state);
  setHandler(onboardingClosedSignal, (closed) => {
    if (state.erasure) {
      log.warn('an onboarding closed during an erasure: ignored', { customerId: state.customerId });
      return;
    }
    state.latest = closed;
    state.reverificationNotifiedAt = undefined;
    timersStale = true;
    changes += 1;
  });
  setHandler(
    setLegalHoldUpdate,
    (hold) => {
      state.legalHold = {
        on: hold.on,
        setBy: hold.requestedBy,
        ...(hold.reason ? { reason: hold.reason } : {}),
        at: nowIso(),
      };
      changes += 1;
      log.info('legal hold changed', { customerId: state.customerId, on: hold.on });
      return state;
    },
    { validator: (hold) => validateHold(state, hold) },
  );
  setHandler(
    requestErasureUpdate,
    async (request): Promise<ErasureAccepted> => {
      if (state.erasure) return { erasureId: state.erasure.erasureId, joined: true };
      await startErasure('request', request.requestedBy, request.erasureId);
      return { erasureId: request.erasureId, joined: false };
    },
    {
      validator: (_request) => {
        if (state.legalHold?.on && !state.erasure) {
          throw new Error(`${LIFECYCLE_REFUSALS.legalHold}: a legal hold is on for this customer`);
        }
      },
    },
  );

  function setTimers(policy: AftercarePolicy): void {
    const latest = state.latest;
    state.reverificationDueAt = undefined;
    state.retentionDueAt = undefined;
    if (!latest) return;
    const expiresAt = latest.documentExpiresOn ? startOfDay(latest.documentExpiresOn) : Number.NaN;
    if (latest.outcome === 'approved' && Number.isFinite(expiresAt)) {
      state.reverificationDueAt = new Date(expiresAt - policy.reverificationLeadMs).toISOString();
    }
    const retention = policy.retentionMs[latest.outcome];
    const closedAt = Date.parse(latest.closedAt);
    if (retention !== undefined && Number.isFinite(closedAt)) {
      state.retentionDueAt = new Date(closedAt + retention).toISOString();
    }
  }

  async function sendReverificationDue(): Promise<void> {
    const latest = state.latest;
    if (!latest?.documentExpiresOn) return;
    const type = 'onboarding.reverification_due';
    const event: CallbackEvent = {
      // Once per closed onboarding, whatever aftercare run sends it.
      eventId: callbackEventId(latest.workflowId, latest.runId, type),
      type,
      customerId: state.customerId,
      workflowId: latest.workflowId,
      outcome: latest.outcome,
      reasons: [],
      reverification: { documentExpiresOn: latest.documentExpiresOn },
      occurredAt: nowIso(),
    };
    try {
      await callbackCalls.notifyBackend({ callbackUrl: latest.callbackUrl, event });
    } catch (error) {
      if (isCancellation(error)) throw error;
      log.warn('re-verification callback failed', { customerId: state.customerId });
    }
    // Sent (or given up after a day of retries): once either way; GET shows when it was due.
    state.reverificationNotifiedAt = nowIso();
  }

  const due = (at: string | undefined): number | undefined => (at ? Date.parse(at) : undefined);

  for (;;) {
    if (erasure && state.erasure) {
      let status: string;
      try {
        status = (await erasure.result()).status;
      } catch (error) {
        if (isCancellation(error)) throw error;
        // A bug or a terminated erasure: the customer's aftercare (and its hold) must outlive it. Retention tries
        // again a day later; a request is for ops to repeat.
        log.error('erasure failed', { customerId: state.customerId, erasureId: state.erasure.erasureId });
        status = 'failed';
        if (state.erasure.trigger === 'retention') {
          state.retentionDueAt = new Date(Date.now() + RETENTION_RETRY_MS).toISOString();
        }
      }
      // A completed erasure deleted this run before it got here, unless it could not: end either way.
      if (status === 'completed') return state;
      state.erasure = undefined;
      erasure = undefined;
      continue;
    }
    const info = workflowInfo();
    if (
      !state.erasure &&
      (info.continueAsNewSuggested || info.historyLength > HISTORY_EVENTS_BEFORE_CONTINUING)
    ) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof aftercareWorkflow>({
        customerId: state.customerId,
        continued: { state, timersStale },
      });
    }
    if (timersStale) {
      timersStale = false;
      setTimers(await policyCalls.aftercarePolicy());
      continue;
    }
    const now = Date.now();
    const reverificationAt = state.reverificationNotifiedAt ? undefined : due(state.reverificationDueAt);
    const retentionAt = state.legalHold?.on || state.erasure ? undefined : due(state.retentionDueAt);
    if (reverificationAt !== undefined && reverificationAt <= now) {
      await sendReverificationDue();
      continue;
    }
    if (retentionAt !== undefined && retentionAt <= now) {
      // A customer onboarding again is a customer again: retention counts from that onboarding's close.
      if (await policyCalls.onboardingOpen(state.customerId)) {
        log.info('retention due during an open onboarding: it waits for its close', {
          customerId: state.customerId,
        });
        state.retentionDueAt = undefined;
        continue;
      }
      await startErasure('retention', 'retention', uuid4());
      continue;
    }
    const nextAt = Math.min(reverificationAt ?? Infinity, retentionAt ?? Infinity);
    const seen = changes;
    const woken = () =>
      changes !== seen ||
      timersStale ||
      (erasure !== undefined && state.erasure !== undefined) ||
      (!state.erasure && workflowInfo().continueAsNewSuggested);
    if (Number.isFinite(nextAt)) await condition(woken, Math.max(1, nextAt - Date.now()));
    else await condition(woken);
  }
}
