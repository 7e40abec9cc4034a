/**
 * One erasure of a customer's data (GDPR): refuse under a legal hold; otherwise end the open onboarding, find
 * every run and every IDV of the customer, delete the stored documents, ask Ondato to redact each IDV, write
 * the audit record outside the histories, delete the histories, and tell the product backend. This run's own
 * history holds ids and counts only, so it can stay as the receipt. Deterministic workflow code.
 */
import { isCancellation, log, proxyActivities, setHandler } from '@temporalio/workflow';
import type { OnboardingActivities } from '../activities';
import type { LifecycleActivities } from '../activities/lifecycle';
import {
  callbackEventId,
  erasureWorkflowId,
  getErasureQuery,
  type CallbackEvent,
  type ErasureInput,
  type ErasureRecord,
} from '../contract';

/** Temporal and the store are ours: retried until they answer (an erasure must not half-finish). */
const steps = proxyActivities<LifecycleActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});
/** Ondato may be away for a while; a redaction it never took is recorded, not retried forever. */
const redactions = proxyActivities<LifecycleActivities>({
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '30 minutes',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '2 minutes' },
});
const callbacks = proxyActivities<OnboardingActivities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '24 hours',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

export async function erasureWorkflow(input: ErasureInput): Promise<ErasureRecord> {
  const record: ErasureRecord = {
    erasureId: input.erasureId,
    customerId: input.customerId,
    requestedBy: input.requestedBy,
    trigger: input.trigger,
    requestedAt: input.requestedAt,
    status: 'running',
    documentsDeleted: 0,
    ondatoRedactionsRequested: [],
    ondatoRedactionsRefused: [],
    runsDeleted: [],
  };
  setHandler(getErasureQuery, () => record);

  const hold = await steps.legalHoldOf(input.customerId);
  if (hold) {
    record.status = 'refused_legal_hold';
    record.completedAt = new Date().toISOString();
    log.info('erasure refused: legal hold', { erasureId: input.erasureId, customerId: input.customerId });
    return record;
  }

  await steps.terminateOpenOnboarding({ customerId: input.customerId, erasureId: input.erasureId });
  const runs = await steps.collectCustomerRuns(input.customerId);
  record.documentsDeleted = await steps.deleteCustomerDocuments(input.customerId);

  for (const idvId of runs.idvIds) {
    try {
      const answer = await redactions.redactCustomerVerification({ idvId, customerId: input.customerId });
      if (answer.requested) record.ondatoRedactionsRequested.push(idvId);
      else record.ondatoRedactionsRefused.push({ idvId, reason: answer.reason });
    } catch (error) {
      if (isCancellation(error)) throw error;
      record.ondatoRedactionsRefused.push({ idvId, reason: 'ondato_unavailable' });
    }
  }

  // The record names the runs whose histories go next: written first, so a crash in between loses nothing.
  record.runsDeleted = [...runs.onboardingRuns, ...runs.aftercareRuns];
  record.status = 'completed';
  record.completedAt = new Date().toISOString();
  await steps.recordErasure(record);
  await steps.deleteRunHistories(runs.onboardingRuns);
  // Last: the aftercare run may be this erasure's parent, still waiting for it (deleting it ends it).
  await steps.deleteRunHistories(runs.aftercareRuns);

  const workflowId = erasureWorkflowId(input.erasureId);
  const event: CallbackEvent = {
    eventId: callbackEventId(workflowId, input.erasureId, 'onboarding.erased'),
    type: 'onboarding.erased',
    customerId: input.customerId,
    workflowId,
    reasons: [`erasure_${input.trigger}`],
    erasure: { erasureId: input.erasureId },
    occurredAt: record.completedAt,
  };
  try {
    await callbacks.notifyBackend({ callbackUrl: input.callbackUrl, event });
  } catch (error) {
    // The erasure stands: the backend can read it from GET /v1/erasures/:erasureId.
    if (isCancellation(error)) throw error;
    log.warn('erasure callback failed', { erasureId: input.erasureId });
  }
  return record;
}
