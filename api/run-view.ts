/**
 * Turns an onboarding run into the API's answers: the `OnboardingLink` of a start and the `OnboardingStatus`
 * view, from whatever the run offers (the state query, the decision record, or only its description: memo and
 * search attributes). Pure: no Temporal calls, no refusals.
 */
import type { WorkflowExecutionDescription, WorkflowExecutionInfo } from '@temporalio/client';
import {
  OnboardingStageKey,
  OutcomeKey,
  RUN_MEMO_KEYS,
  type CustomerLink,
  type DecisionRecord,
  type OnboardingState,
  type OnboardingTimestamps,
} from '../contract';
import {
  onboardingLinkSchema,
  onboardingStatusSchema,
  type OnboardingLink,
  type OnboardingStatus,
} from './schemas';

/** Temporal's execution status of a run, as the API names it. */
export type WorkflowStatus = OnboardingStatus['status'];

/** What every status view starts from: whose run, which run, and Temporal's execution status of it. */
export type StatusBase = Pick<OnboardingStatus, 'customerId' | 'workflowId' | 'runId' | 'status'>;

// Memo values and search attributes are untyped on the way back: anything outside the enum reads as unknown.
const workflowStatusSchema = onboardingStatusSchema.shape.status.catch('UNKNOWN');
const stageSchema = onboardingStatusSchema.shape.stage.catch(undefined);
const outcomeSchema = onboardingStatusSchema.shape.outcome.catch(undefined);
const pendingStageSchema = onboardingLinkSchema.shape.stage.catch('creating_verification');

/** Drops `undefined` so JSON answers and comparisons stay tidy. */
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

export function workflowStatus(description: Pick<WorkflowExecutionInfo, 'status'>): WorkflowStatus {
  return workflowStatusSchema.parse(description.status.name);
}

export function memoString(
  description: Pick<WorkflowExecutionInfo, 'memo'>,
  key: string,
): string | undefined {
  const value = description.memo?.[key];
  return typeof value === 'string' ? value : undefined;
}

/**
 * The stage the run last recorded (for a closed run: the stage it closed in): its search attribute, set from
 * the start; runs from before that kept it in their memo too, and lean runs keep it there no more.
 */
export function recordedStage(
  description: Pick<WorkflowExecutionInfo, 'memo' | 'typedSearchAttributes'>,
): OnboardingStatus['stage'] {
  return (
    stageSchema.parse(description.typedSearchAttributes.get(OnboardingStageKey)) ??
    stageSchema.parse(description.memo?.[RUN_MEMO_KEYS.stage])
  );
}

/** The base of a status view; a run that can no longer be described has no run id and an unknown status. */
export function statusBase(
  customerId: string,
  workflowId: string,
  latest: WorkflowExecutionDescription | undefined,
): StatusBase {
  return {
    customerId,
    workflowId,
    runId: latest?.runId ?? '',
    status: latest ? workflowStatus(latest) : 'UNKNOWN',
  };
}

// ---- links ----

/** The link of a run that answered the customer-link update. */
export function readyLink(
  run: { workflowId: string; runId: string; created: boolean },
  customerLink: CustomerLink,
): OnboardingLink {
  return compact({
    ...run,
    stage: customerLink.stage,
    customerUrl: customerLink.customerUrl ?? null,
    idvId: customerLink.idvId ?? null,
    outcome: customerLink.outcome,
    resumedFromKycId: customerLink.resumedFromKycId,
  });
}

/** The link of a running run that did not answer in time: what its memo knows so far. */
export function pendingLink(description: WorkflowExecutionDescription, created: boolean): OnboardingLink {
  return {
    workflowId: description.workflowId,
    runId: description.runId,
    created,
    stage: pendingStageSchema.parse(recordedStage(description)),
    customerUrl: memoString(description, RUN_MEMO_KEYS.customerUrl) ?? null,
    idvId: memoString(description, RUN_MEMO_KEYS.idvId) ?? null,
  };
}

// ---- status views ----

/** The live view: the run answered the state query (or an update returned its state). */
export function fromState(base: StatusBase, state: OnboardingState): OnboardingStatus {
  return compact({
    ...base,
    stage: state.stage,
    outcome: state.outcome,
    reasons: state.reasons,
    policyVersion: state.policyVersion,
    idvId: state.idvId,
    idvStatus: state.idvStatus,
    customerUrl: state.customerUrl,
    customerDeadlineAt: state.customerDeadlineAt,
    relinkOpenUntil: state.relinkOpenUntil,
    kycId: state.kycId,
    kycStatus: state.kycStatus,
    documents: state.documents,
    review: state.review,
    timestamps: timestampsOf(state.timestamps),
    webhooksReceived: state.webhooksReceived,
    lastError: state.lastError,
    attention: state.attention && compact(state.attention),
    resumes: state.resumes?.map((resume) => compact(resume)),
    resumedFromKycId: state.resumedFromKycId,
    failure: state.failure && runFailureView(state.failure),
  });
}

/** What the run's description alone tells: the stage and ids from its memo, the outcome search attribute. */
export function fromSummary(base: StatusBase, description: WorkflowExecutionDescription): OnboardingStatus {
  const attentionReason = memoString(description, RUN_MEMO_KEYS.attentionReason);
  return compact({
    ...base,
    stage: recordedStage(description),
    outcome: outcomeOf(description),
    idvId: memoString(description, RUN_MEMO_KEYS.idvId),
    customerUrl: memoString(description, RUN_MEMO_KEYS.customerUrl),
    kycId: memoString(description, RUN_MEMO_KEYS.kycId),
    attention: attentionReason === undefined ? undefined : { reason: attentionReason },
    reasons: [],
    documents: [],
    timestamps: {},
  });
}

/** A summary completed by the run's decision record (a completed run that no worker can query). */
export function fromRecord(summary: OnboardingStatus, record: DecisionRecord): OnboardingStatus {
  // What the record lacks keeps the summary's value (e.g. an idvId known from the memo).
  const known: Partial<OnboardingStatus> = compact({
    stage: 'completed',
    outcome: record.outcome,
    reasons: record.reasons,
    policyVersion: record.policyVersion,
    idvId: record.idvId,
    kycId: record.kycId,
    documents: record.documents,
    review: record.review,
    timestamps: timestampsOf(record.timestamps),
  });
  return { ...summary, ...known };
}

/** Why a run failed, as the API shows it: the failure type, the stage, our message and Ondato's codes. */
export type RunFailureView = NonNullable<OnboardingStatus['failure']>;

function runFailureView(failure: {
  type?: string;
  stage?: string;
  message: string;
  ondatoStatus?: number;
  ondatoReason?: string;
}): RunFailureView {
  return compact({
    type: failure.type,
    stage: stageSchema.parse(failure.stage),
    message: failure.message,
    ondatoStatus: failure.ondatoStatus,
    ondatoReason: failure.ondatoReason,
  });
}

/** A summary of a run that closed without completing, with why, in the stage the run last recorded. */
export function withFailure(
  summary: OnboardingStatus,
  failure: { type?: string; message: string; ondatoStatus?: number; ondatoReason?: string },
): OnboardingStatus {
  return { ...summary, failure: runFailureView({ ...failure, stage: summary.stage }) };
}

/** The outcome search attribute of a run (set once the run decided, also when it did not complete). */
export function outcomeOf(
  description: Pick<WorkflowExecutionInfo, 'typedSearchAttributes'>,
): OnboardingStatus['outcome'] {
  return outcomeSchema.parse(description.typedSearchAttributes.get(OutcomeKey));
}

/**
 * The finished verification of a closed run, which a new run can take over (`resumeFrom`): both ids from its
 * memo, or nothing when the customer never finished.
 */
export function finishedVerification(
  description: WorkflowExecutionDescription,
): { idvId: string; kycId: string } | undefined {
  const idvId = memoString(description, RUN_MEMO_KEYS.idvId);
  const kycId = memoString(description, RUN_MEMO_KEYS.kycId);
  return idvId && kycId ? { idvId, kycId } : undefined;
}

function timestampsOf(timestamps: OnboardingTimestamps): Record<string, string> {
  return Object.fromEntries(
    Object.entries(timestamps).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}
