/**
 * The checks every scenario makes of every run once the driving is over: the right outcome, exactly one
 * `onboarding.completed` event (deduplicated by event id, as a backend does: delivery is at least once), every
 * document stored intact (decrypted from the store, hashed, compared with the simulator's original), closed
 * within the deadline, and not FAILED.
 */
import { createHash } from 'node:crypto';
import type { DecisionRecord } from '../contract';
import { runPool } from '../bench/measure/pool';
import { FLOWS, type Run } from './runs';
import type { DocumentStore } from '../storage/document-store';
import type { ChaosStack } from './stack';

/** What the checks need of a stack: the chaos stack, or the topology test's cluster (any document store). */
export type VerifiedStack = Pick<ChaosStack, 'client' | 'callbacks' | 'ondato'> & {
  documents: Pick<DocumentStore, 'get'>;
};

export interface RunVerdict {
  run: Run;
  /** Temporal's run status, or `OPEN` at the deadline. */
  status: string;
  outcome?: string;
  rightOutcome: boolean;
  oneCompletedCallback: boolean;
  documentsIntact: boolean;
  closed: boolean;
  notFailed: boolean;
  /** Deliveries of the completion event beyond the first (same event id): at-least-once at work. */
  redeliveries: number;
  problems: string[];
}

export async function verifyRuns(
  stack: VerifiedStack,
  runs: Run[],
  closed: Map<string, string>,
): Promise<RunVerdict[]> {
  const verdicts = await runPool({
    count: runs.length,
    concurrency: 4,
    task: (index) => verifyRun(stack, runs[index], closed.get(runs[index].workflowId)),
  });
  return verdicts.results
    .sort((a, b) => a.index - b.index)
    .map((result, index) => result.value ?? crashed(runs[index], result.error));
}

async function verifyRun(stack: VerifiedStack, run: Run, status: string | undefined): Promise<RunVerdict> {
  const problems: string[] = [];
  const closedStatus = status ?? 'OPEN';
  let record: DecisionRecord | undefined;
  if (closedStatus === 'COMPLETED') {
    record = (await stack.client.workflow.getHandle(run.workflowId).result()) as DecisionRecord;
  } else {
    problems.push(`run ${closedStatus}`);
  }
  const rightOutcome = record?.outcome === run.expected;
  if (record && !rightOutcome) problems.push(`outcome ${record.outcome}, expected ${run.expected}`);

  const callbacks = stack.callbacks.forCustomer(run.customerId);
  const completed = callbacks.filter((callback) => callback.event.type === 'onboarding.completed');
  const eventIds = new Set(completed.map((callback) => callback.event.eventId));
  const oneCompletedCallback =
    eventIds.size === 1 &&
    completed.every((callback) => callback.signatureValid && callback.event.outcome === run.expected);
  if (!oneCompletedCallback) {
    problems.push(
      `completion callbacks: ${completed.length} deliveries, ${eventIds.size} event ids, outcomes ${completed
        .map((callback) => `${callback.event.outcome}${callback.signatureValid ? '' : ' (bad signature)'}`)
        .join(', ')}`,
    );
  }

  let documentsIntact = false;
  if (record) {
    const documentProblems = await checkDocuments(stack, run, record);
    documentsIntact = documentProblems.length === 0;
    problems.push(...documentProblems);
  }

  return {
    run,
    status: closedStatus,
    outcome: record?.outcome,
    rightOutcome,
    oneCompletedCallback,
    documentsIntact,
    closed: status !== undefined,
    notFailed: status !== 'FAILED' && status !== 'TERMINATED' && status !== 'TIMED_OUT',
    redeliveries: completed.length - eventIds.size,
    problems,
  };
}

/**
 * Every file of the identification is in the record and in the store, and its bytes (decrypted and
 * authenticated) hash to the record's sha256 and to the simulator's original. Flows without an identification
 * (aborted, expired) must have stored nothing.
 */
async function checkDocuments(stack: VerifiedStack, run: Run, record: DecisionRecord): Promise<string[]> {
  if (!FLOWS[run.flow].documents) {
    return record.documents.length === 0
      ? []
      : [`${record.documents.length} documents for a ${run.flow} run`];
  }
  const kycId = record.kycId ?? run.kycId;
  if (!kycId) return ['no KYC id in the record'];
  const kyc = await stack.ondato.getKycIdentification(kycId);
  const expected = [
    ...(kyc.document?.files ?? []),
    ...(kyc.face?.files ?? []),
    ...(kyc.additionalFiles ?? []),
  ];
  const problems: string[] = [];
  const stored = new Map(record.documents.map((document) => [document.fileId, document]));
  if (expected.length === 0) problems.push('the identification has no files');
  for (const file of expected) {
    const document = stored.get(file.fileId);
    if (!document) {
      problems.push(`file ${file.fileId} not in the record`);
      continue;
    }
    const original = await sha256(
      (await stack.ondato.downloadKycFile(kycId, file.fileId)).stream as AsyncIterable<Uint8Array>,
    );
    let inStore: string;
    try {
      inStore = await sha256(await stack.documents.get(document.key));
    } catch (error) {
      problems.push(`${document.key}: unreadable in the store (${String(error)})`);
      continue;
    }
    if (inStore !== original || document.sha256 !== original) {
      problems.push(
        `${document.key}: stored ${inStore.slice(0, 12)}, record ${document.sha256.slice(0, 12)}, original ${original.slice(0, 12)}`,
      );
    }
  }
  if (record.documents.length !== expected.length) {
    problems.push(`${record.documents.length} documents in the record, ${expected.length} files at Ondato`);
  }
  return problems;
}

async function sha256(stream: AsyncIterable<Uint8Array>): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk);
  return hash.digest('hex');
}

function crashed(run: Run, error: unknown): RunVerdict {
  return {
    run,
    status: 'UNKNOWN',
    rightOutcome: false,
    oneCompletedCallback: false,
    documentsIntact: false,
    closed: false,
    notFailed: false,
    redeliveries: 0,
    problems: [`could not be checked: ${error instanceof Error ? error.message : String(error)}`],
  };
}
