/**
 * The hand-over to aftercare: a closing onboarding run tells the customer's long-lived aftercare run (re-
 * verification before the document expires, retention, legal hold) how it ended. It starts that run if there is
 * none (abandoned by this one when it closes) and signals it otherwise. The aftercare workflow is named by its
 * type string: the onboarding bundle does not import its code. Deterministic workflow code.
 */
import { getExternalWorkflowHandle, log, ParentClosePolicy, patched, startChild } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  AFTERCARE_WORKFLOW_TYPE,
  aftercareWorkflowId,
  onboardingClosedSignal,
  type AftercareInput,
  type OnboardingClosed,
  type OnboardingState,
} from '../contract';
import type { PatchCheck } from './patches';

/** `patched()` id: runs recorded before aftercare existed closed without telling anyone. */
const HAND_OVER_TO_AFTERCARE = 'hand-over-to-aftercare';

/** Ondato dates may carry a time part; aftercare wants the day (YYYY-MM-DD). */
export function expiryDay(dateOfExpiration: string | undefined): string | undefined {
  const day = dateOfExpiration?.slice(0, 10);
  return day !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(day) ? day : undefined;
}

/**
 * Starts or signals the customer's aftercare run. A failure is logged and recorded, never the run's: the
 * decision stands, and the next closing run hands over again.
 */
export async function handOverToAftercare(
  state: OnboardingState,
  closed: OnboardingClosed,
  enabled = true,
  released: PatchCheck = patched,
): Promise<void> {
  if (!enabled || !released(HAND_OVER_TO_AFTERCARE)) return;
  const workflowId = aftercareWorkflowId(state.customerId);
  const input: AftercareInput = { customerId: state.customerId, closed };
  let how: NonNullable<OnboardingState['aftercare']>['how'] = 'failed';
  // Twice at most: the aftercare run can close between a refused start and the signal (an erasure ended it).
  for (let attempt = 1; attempt <= 2 && how === 'failed'; attempt += 1) {
    try {
      await startChild(AFTERCARE_WORKFLOW_TYPE, {
        workflowId,
        args: [input],
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
      how = 'started';
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) {
        log.warn('could not start the aftercare run', { workflowId, error: String(error) });
        break;
      }
      try {
        await getExternalWorkflowHandle(workflowId).signal(onboardingClosedSignal, closed);
        how = 'signalled';
      } catch (signalError) {
        log.warn('could not signal the aftercare run', { workflowId, error: String(signalError) });
      }
    }
  }
  state.aftercare = { handedOverAt: new Date().toISOString(), how };
}
