/**
 * The aftercare and erasure activities, built over their own dependencies (composition/worker.ts adds them to
 * the onboarding activities). The workflows import only the type `LifecycleActivities`.
 *
 * Every step of an erasure is idempotent: a worker that dies mid-way runs the step again, and deleting what is
 * already gone, terminating a closed run or redacting a redacted IDV changes nothing.
 */
import { Readable } from 'node:stream';
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  aftercareWorkflowId,
  getAftercareStateQuery,
  onboardingWorkflowId,
  OndatoIdvIdKey,
  RUN_MEMO_KEYS,
  type ErasureRecord,
  type FinalOutcome,
  type LegalHold,
} from '../contract';
import type { LifecycleSettings } from '../config';
import type { OndatoApi } from '../ondato/api';
import { OndatoError } from '../ondato/errors';
import type { DocumentStore } from '../storage/document-store';

export interface LifecycleActivityDeps {
  /** A client on the worker's namespace with the encrypting data converter (it reads the runs' memos). */
  temporal(): Promise<Client>;
  ondato: OndatoApi;
  documents: DocumentStore;
  lifecycle: LifecycleSettings;
}

/** The aftercare policy as the worker's configuration has it now; absent retention: never. */
export interface AftercarePolicy {
  reverificationLeadMs: number;
  retentionMs: Partial<Record<FinalOutcome, number>>;
}

export interface RunRef {
  workflowId: string;
  runId: string;
}

export interface CustomerRuns {
  onboardingRuns: RunRef[];
  aftercareRuns: RunRef[];
  /** Every IDV the onboarding runs name (search attribute and memo), deduplicated. */
  idvIds: string[];
}

export type RedactionAnswer = { requested: true } | { requested: false; reason: string };

/** Where an erasure's audit record is kept: outside the histories it deletes, encrypted like the documents. */
export function erasureAuditKey(erasureId: string): string {
  return `audit/erasures/${erasureId}.json`;
}

/** Ondato's reason code for a refusal, or the status when it gave none. */
function refusalReason(error: OndatoError): string {
  return error.reason ?? (error.status ? `http_${error.status}` : error.kind);
}

export function createLifecycleActivities(deps: LifecycleActivityDeps) {
  const runsOf = async (workflowId: string): Promise<Array<RunRef & { idvIds: string[] }>> => {
    const client = await deps.temporal();
    const runs: Array<RunRef & { idvIds: string[] }> = [];
    // Every run of the id: retries, continuations, terminated and failed ones. Ids are checked at the API.
    for await (const info of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
      const idvIds = new Set<string>();
      const fromSearch = info.typedSearchAttributes.get(OndatoIdvIdKey);
      if (fromSearch) idvIds.add(fromSearch);
      const fromMemo = info.memo?.[RUN_MEMO_KEYS.idvId];
      if (typeof fromMemo === 'string') idvIds.add(fromMemo);
      runs.push({ workflowId: info.workflowId, runId: info.runId, idvIds: [...idvIds] });
    }
    return runs;
  };

  return {
    async aftercarePolicy(): Promise<AftercarePolicy> {
      const { reverificationLeadMs, retentionMs } = deps.lifecycle;
      const unfinished = retentionMs.unfinished;
      return {
        reverificationLeadMs,
        retentionMs: {
          ...(retentionMs.approved !== undefined ? { approved: retentionMs.approved } : {}),
          ...(retentionMs.rejected !== undefined ? { rejected: retentionMs.rejected } : {}),
          ...(unfinished !== undefined
            ? { expired: unfinished, abandoned: unfinished, cancelled: unfinished }
            : {}),
        },
      };
    },

    /** The customer's legal hold, asked of its running aftercare run; none when no aftercare run is running. */
    async legalHoldOf(customerId: string): Promise<LegalHold | undefined> {
      const handle = (await deps.temporal()).workflow.getHandle(aftercareWorkflowId(customerId));
      const description = await handle.describe().catch((error: unknown) => {
        if (error instanceof Error && error.name === 'WorkflowNotFoundError') return undefined;
        throw error;
      });
      if (description?.status.name !== 'RUNNING') return undefined;
      const state = await handle.query(getAftercareStateQuery);
      return state.legalHold?.on ? state.legalHold : undefined;
    },

    /** Whether an onboarding of the customer is running now (retention then waits for it to close). */
    async onboardingOpen(customerId: string): Promise<boolean> {
      const handle = (await deps.temporal()).workflow.getHandle(onboardingWorkflowId(customerId));
      const description = await handle.describe().catch((error: unknown) => {
        if (error instanceof Error && error.name === 'WorkflowNotFoundError') return undefined;
        throw error;
      });
      return description?.status.name === 'RUNNING';
    },

    /** Ends the customer's open onboarding run, if any; the reason names the erasure (ids only). */
    async terminateOpenOnboarding(input: {
      customerId: string;
      erasureId: string;
    }): Promise<RunRef | undefined> {
      const handle = (await deps.temporal()).workflow.getHandle(onboardingWorkflowId(input.customerId));
      const description = await handle.describe().catch((error: unknown) => {
        if (error instanceof Error && error.name === 'WorkflowNotFoundError') return undefined;
        throw error;
      });
      if (description?.status.name !== 'RUNNING') return undefined;
      try {
        await handle.terminate(`erasure ${input.erasureId}`);
      } catch (error) {
        // Closed between the describe and the terminate: nothing left to end.
        if (error instanceof Error && error.name === 'WorkflowNotFoundError') return undefined;
        throw error;
      }
      return { workflowId: description.workflowId, runId: description.runId };
    },

    async collectCustomerRuns(customerId: string): Promise<CustomerRuns> {
      const onboarding = await runsOf(onboardingWorkflowId(customerId));
      const aftercare = await runsOf(aftercareWorkflowId(customerId));
      return {
        onboardingRuns: onboarding.map(({ workflowId, runId }) => ({ workflowId, runId })),
        aftercareRuns: aftercare.map(({ workflowId, runId }) => ({ workflowId, runId })),
        idvIds: [...new Set(onboarding.flatMap((run) => run.idvIds))].sort(),
      };
    },

    /** Deletes every stored document of the customer (`<customerId>/...`); the count of this attempt. */
    async deleteCustomerDocuments(customerId: string): Promise<number> {
      return deps.documents.deletePrefix(`${customerId}/`);
    },

    /**
     * Asks Ondato to erase one IDV's personal data, once it checked the IDV is this customer's. A refusal (404,
     * another 4xx, not ours) is an answer with Ondato's reason code; unavailability is retried by the workflow's
     * policy, which bounds it.
     */
    async redactCustomerVerification(input: { idvId: string; customerId: string }): Promise<RedactionAnswer> {
      const signal = Context.current().cancellationSignal;
      try {
        const idv = await deps.ondato.getIdentityVerification(input.idvId, { signal });
        if (idv.externalReferenceId !== input.customerId)
          return { requested: false, reason: 'not_this_customer' };
        if (idv.redaction) return { requested: true };
        await deps.ondato.redactIdentityVerification(input.idvId, { signal });
        return { requested: true };
      } catch (error) {
        if (error instanceof OndatoError && !error.retryable && error.kind === 'http') {
          return { requested: false, reason: refusalReason(error) };
        }
        if (error instanceof OndatoError) {
          throw ApplicationFailure.retryable(
            `Ondato did not take the redaction of ${input.idvId}: ${error.message}`,
            'OndatoUnavailable',
          );
        }
        throw error;
      }
    },

    /** Writes the audit record (ids and counts only) to the store and to the log, before the histories go. */
    async recordErasure(record: ErasureRecord): Promise<{ key: string }> {
      const key = erasureAuditKey(record.erasureId);
      const body = Buffer.from(JSON.stringify(record, null, 2));
      await deps.documents.put(key, Readable.from([body]), { contentType: 'application/json' });
      Context.current().log.info('erasure recorded', {
        erasureId: record.erasureId,
        customerId: record.customerId,
        trigger: record.trigger,
        status: record.status,
        documentsDeleted: record.documentsDeleted,
        redactionsRequested: record.ondatoRedactionsRequested.length,
        redactionsRefused: record.ondatoRedactionsRefused.length,
        runsDeleted: record.runsDeleted.length,
        auditKey: key,
      });
      return { key };
    },

    /** Deletes the runs' histories (a running one is terminated first by Temporal); gone already counts. */
    async deleteRunHistories(runs: RunRef[]): Promise<RunRef[]> {
      const client = await deps.temporal();
      for (const run of runs) {
        try {
          await client.workflowService.deleteWorkflowExecution({
            namespace: client.options.namespace,
            workflowExecution: { workflowId: run.workflowId, runId: run.runId },
          });
        } catch (error) {
          if (!isNotFoundGrpc(error)) throw error;
        }
      }
      return runs;
    },
  };
}

/** gRPC NOT_FOUND (code 5): the run is already deleted. */
function isNotFoundGrpc(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 5;
}

export type LifecycleActivities = ReturnType<typeof createLifecycleActivities>;
