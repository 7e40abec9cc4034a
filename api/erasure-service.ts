/**
 * Erasure and legal hold over the Temporal client. Both go through the customer's aftercare run with
 * update-with-start (it starts the run when the customer has none yet), so one run orders them: an erasure
 * never starts under a hold, a hold never lands on a running erasure, and a repeated erasure request joins the
 * running one. Every call answers within the call deadline: 202 when Temporal holds the request but no worker
 * has taken it, 503 when Temporal is silent.
 */
import { randomUUID } from 'node:crypto';
import {
  WithStartWorkflowOperation,
  WorkflowUpdateFailedError,
  type WorkflowUpdateHandle,
} from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import {
  AFTERCARE_WORKFLOW_TYPE,
  aftercareWorkflowId,
  erasureWorkflowId,
  getErasureQuery,
  LIFECYCLE_REFUSALS,
  onboardingWorkflowId,
  requestErasureUpdate,
  setLegalHoldUpdate,
  type AftercareInput,
  type AftercareState,
  type ErasureAccepted,
  type ErasureRecord,
  type LegalHoldInput,
} from '../contract';
import type { AftercareStateBody, ErasureAcceptedBody } from './erasure-schemas';
import { ApiError } from './errors';
import type { RunAccess } from './run-access';
import {
  isTemporalUnavailable,
  isWorkflowNotFound,
  rethrowIfUnavailable,
  temporalUnavailable,
} from './temporal-errors';

export type HoldOutcome =
  | { applied: true; state: AftercareStateBody }
  | { applied: false; pending: { workflowId: string; updateId: string; message: string } };

/** Share of the call deadline spent waiting for a worker to take the update. */
const ACCEPT_SHARE = 0.7;

export function erasureLink(erasureId: string): string {
  return `/v1/erasures/${encodeURIComponent(erasureId)}`;
}

/** The view of the aftercare state the API shows: no callback URL. */
function aftercareView(state: AftercareState): AftercareStateBody {
  const { latest, ...rest } = state;
  if (!latest) return rest;
  const { callbackUrl: _callbackUrl, ...shown } = latest;
  return { ...rest, latest: shown };
}

export class ErasureService {
  constructor(
    private readonly runs: RunAccess,
    private readonly taskQueue: string,
  ) {}

  /** Erases the customer's data (ops): a running erasure is joined; refused with 409 under a legal hold. */
  async erase(customerId: string, requestedBy: string): Promise<ErasureAcceptedBody> {
    await this.requireCustomer(customerId);
    const erasureId = randomUUID();
    const answer = await this.updateAftercare(customerId, requestErasureUpdate, {
      erasureId,
      requestedBy,
    });
    if (answer === undefined) {
      return { erasureId, status: 'pending', joined: false, links: { self: erasureLink(erasureId) } };
    }
    const accepted: ErasureAccepted = answer;
    return {
      erasureId: accepted.erasureId,
      status: 'running',
      joined: accepted.joined,
      links: { self: erasureLink(accepted.erasureId) },
    };
  }

  /** The erasure's record: the running run's query, or the closed run's result. */
  async erasure(erasureId: string): Promise<ErasureRecord> {
    const workflowId = erasureWorkflowId(erasureId);
    const description = await this.runs.describeLatest(workflowId);
    if (!description) throw new ApiError(404, 'not_found', `No erasure ${erasureId}`);
    const handle = this.runs.client.workflow.getHandle(workflowId, description.runId);
    try {
      return await this.runs.withDeadline(this.runs.callTimeoutMs, () =>
        description.status.name === 'COMPLETED'
          ? (handle.result() as Promise<ErasureRecord>)
          : handle.query(getErasureQuery),
      );
    } catch (error) {
      return rethrowIfUnavailable(error);
    }
  }

  /** Places or lifts the customer's legal hold (ops); refused with 409 while an erasure runs. */
  async setLegalHold(customerId: string, hold: LegalHoldInput): Promise<HoldOutcome> {
    await this.requireCustomer(customerId);
    const updateId = `legal-hold-${randomUUID()}`;
    const state = await this.updateAftercare(customerId, setLegalHoldUpdate, hold, updateId);
    if (state === undefined) {
      return {
        applied: false,
        pending: {
          workflowId: aftercareWorkflowId(customerId),
          updateId,
          message: 'Held by Temporal until a worker runs the aftercare run; it applies then unless refused',
        },
      };
    }
    return { applied: true, state: aftercareView(state) };
  }

  /** 404 for a customer with neither an onboarding nor an aftercare run. */
  private async requireCustomer(customerId: string): Promise<void> {
    const onboarding = await this.runs.describeLatest(onboardingWorkflowId(customerId));
    if (onboarding) return;
    const aftercare = await this.runs.describeLatest(aftercareWorkflowId(customerId));
    if (!aftercare) throw new ApiError(404, 'not_found', `No onboarding for customer ${customerId}`);
  }

  /**
   * Sends the update to the customer's aftercare run, starting the run if there is none. Its result, or
   * undefined when a worker has not taken it in time (Temporal holds it: 202). Refusals become 4xx.
   */
  private async updateAftercare<Result, Input>(
    customerId: string,
    definition: UpdateDefinition<Result, [Input]>,
    input: Input,
    updateId: string = `${definition.name}-${randomUUID()}`,
  ): Promise<Result | undefined> {
    const input0: AftercareInput = { customerId };
    const startWorkflowOperation = new WithStartWorkflowOperation(AFTERCARE_WORKFLOW_TYPE, {
      workflowId: aftercareWorkflowId(customerId),
      taskQueue: this.taskQueue,
      args: [input0],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    const deadline = Date.now() + this.runs.callTimeoutMs;
    let update: WorkflowUpdateHandle<Result>;
    try {
      update = await this.runs.by(Date.now() + Math.round(this.runs.callTimeoutMs * ACCEPT_SHARE), () =>
        this.runs.client.workflow.startUpdateWithStart(definition, {
          args: [input],
          updateId,
          startWorkflowOperation,
          waitForStage: 'ACCEPTED',
        }),
      );
    } catch (error) {
      if (isTemporalUnavailable(error)) return this.heldOrUnavailable(customerId, updateId);
      throw refusal(error);
    }
    try {
      return await this.runs.by(deadline, () => update.result());
    } catch (error) {
      // Accepted (the run's checks passed), not finished in time: it completes without us.
      if (isTemporalUnavailable(error)) return undefined;
      throw refusal(error);
    }
  }

  /** No acceptance in time: undefined (202) when Temporal holds the update, 503 when it is silent. */
  private async heldOrUnavailable(customerId: string, updateId: string): Promise<undefined> {
    const held = await this.runs.updateStage(aftercareWorkflowId(customerId), updateId, Date.now() + 1_000);
    if (!held) throw temporalUnavailable();
    return undefined;
  }
}

/** The aftercare run's validator messages start with a code (workflows/aftercare.ts). */
function refusal(error: unknown): unknown {
  if (error instanceof WorkflowUpdateFailedError) {
    const message = error.cause?.message ?? 'The aftercare run refused the request';
    if (message.startsWith(`${LIFECYCLE_REFUSALS.legalHold}:`)) {
      return new ApiError(409, 'legal_hold', 'A legal hold is on for this customer: nothing is erased');
    }
    if (message.startsWith(`${LIFECYCLE_REFUSALS.erasureInProgress}:`)) {
      return new ApiError(409, 'erasure_in_progress', message.slice(message.indexOf(':') + 1).trim());
    }
    return new ApiError(400, 'validation_failed', message.replace(/^validation_failed:\s*/, ''));
  }
  if (isWorkflowNotFound(error)) {
    // The aftercare run closed under the update (an erasure deleted it): the customer is gone.
    return new ApiError(404, 'not_found', 'No onboarding for this customer any more');
  }
  return error;
}
