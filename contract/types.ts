/**
 * The data an onboarding carries: its input, its state as the query shows it, its decision record. Plain types
 * and constants only, so the workflow bundle stays free of runtime dependencies.
 */

/** Registration data in Ondato's formats (phone number is a JSON number, country ISO 3166-1 alpha-2). */
export interface Registration {
  firstName?: string;
  middleName?: string;
  lastName?: string;
  dateOfBirth?: string;
  email?: string;
  personalCode?: string;
  phoneNumber?: number;
  countryCode?: string;
}

/** Durations in milliseconds; kept in workflow input so tests can run real timers in seconds. */
export interface OnboardingTimeouts {
  /** How long the customer has to finish the Ondato flow. */
  customerDeadlineMs: number;
  /** How long Ondato may keep an identification `Awaiting` (its own manual review). */
  ondatoReviewDeadlineMs: number;
  /** After this long in manual review without an ops decision, the run escalates (and keeps waiting). */
  manualReviewEscalationMs: number;
  /** How often the workflow polls Ondato while waiting, in case a webhook is lost. */
  pollIntervalMs: number;
  /** A document download that has not reported progress for this long is retried (e.g. its worker died). */
  downloadHeartbeatTimeoutMs: number;
  /** A parked run (stage `needs_attention`) retries its failed step by itself after this long. */
  parkedRetryMs: number;
  /**
   * The create call heartbeats what it did (intent, created id); silent this long, it is retried and the
   * retry reads that heartbeat. Short enough that the id leaves the SDK's heartbeat throttle quickly.
   */
  createHeartbeatTimeoutMs: number;
  /**
   * After Ondato reports the IDV `Expired` or `Aborted`, how long the run waits for the product to ask for a
   * fresh link (`relinkUpdate`) before it ends as expired / abandoned; never past the customer deadline. 0 (the
   * default) ends the run at once, as runs always did.
   */
  relinkGraceMs: number;
}

export const DEFAULT_TIMEOUTS: OnboardingTimeouts = {
  customerDeadlineMs: 7 * 24 * 60 * 60 * 1000,
  ondatoReviewDeadlineMs: 3 * 24 * 60 * 60 * 1000,
  manualReviewEscalationMs: 2 * 24 * 60 * 60 * 1000,
  pollIntervalMs: 15 * 60 * 1000,
  downloadHeartbeatTimeoutMs: 30 * 1000,
  parkedRetryMs: 60 * 60 * 1000,
  createHeartbeatTimeoutMs: 20 * 1000,
  relinkGraceMs: 0,
};

/**
 * When an `onboarding.reminder_due` callback goes out while the customer has not finished: a duration after
 * the current customer link was issued, or before the run's customer deadline. A reminder whose moment falls
 * before its link was issued or at or after the deadline is skipped.
 */
export type ReminderOffset = { afterLinkMs: number } | { beforeDeadlineMs: number };

/** A day after the link, and a day before the deadline. */
export const DEFAULT_REMINDERS: readonly ReminderOffset[] = [
  { afterLinkMs: 24 * 60 * 60 * 1000 },
  { beforeDeadlineMs: 24 * 60 * 60 * 1000 },
];

/** A reminder that went out: its number (position in the run's reminder list, from 1) and the link's IDV. */
export interface ReminderSent {
  number: number;
  idvId: string;
  sentAt: string;
}

/** A fresh customer link the product asked for after Ondato ended the earlier session. */
export interface RelinkRecord {
  /** The backend key identity that asked. */
  requestedBy: string;
  /** The IDV Ondato had expired or the customer had aborted. */
  replacedIdvId: string;
  replacedIdvStatus?: string;
  /** The new IDV. */
  idvId: string;
  at: string;
}

/** The approved onboarding a re-verification run follows (it takes nothing over from it). */
export interface ReverificationOf {
  workflowId: string;
  runId: string;
  kycId?: string;
}

export interface OnboardingInput {
  customerId: string;
  registration: Registration;
  /** Ondato IDV setup; the worker's configured default when absent. */
  setupId?: string;
  /** Where the outcome is posted; the worker's configured default when absent, none if neither. */
  callbackUrl?: string;
  timeouts?: Partial<OnboardingTimeouts>;
  /**
   * The verification of an earlier run whose customer had finished: this run fetches its KYC identification
   * instead of sending the customer through Ondato again (a new IDV only if Ondato no longer has it).
   */
  resumeFrom?: { idvId: string; kycId: string };
  /**
   * After this many signals a waiting run continues as new (Temporal caps signals per run, and every webhook is
   * one); default DEFAULT_SIGNAL_BUDGET. Tests pass a small number.
   */
  signalBudget?: number;
  /** Set only by the run itself when it continues as new: where the earlier run was and what it knew. */
  continued?: ContinuedRun;
  /** When reminders go out while the customer has not finished; DEFAULT_REMINDERS when absent, none if `[]`. */
  reminders?: ReminderOffset[];
  /** Set when the product asked to re-verify an approved customer: the approved run this one follows. */
  reverificationOf?: ReverificationOf;
  /**
   * false: the run closes without handing over to the customer's aftercare run (no re-verification notice or
   * retention from this run). Default true. The time-skipping test server cannot outlive an abandoned child
   * (time skipping stalls once the parent closed), so its tests pass false unless they test the hand-over.
   */
  handOverToAftercare?: boolean;
  /**
   * A token unique to the start call that created the run. The customer-link update echoes it, so an
   * update-with-start learns whether it started the run or joined one without asking Temporal again.
   */
  startToken?: string;
}

/** Signals a run takes before it continues as new: far below Temporal's cap (10,000 by default). */
export const DEFAULT_SIGNAL_BUDGET = 2_000;

/** The stages in which a run may continue as new: it is waiting, with no step in flight. */
export type WaitingStage = 'awaiting_customer' | 'awaiting_ondato_review' | 'manual_review';

/**
 * What a run hands to its continuation: its state (ids, stage, documents, reasons, resumes, IDVs...), the
 * deadline of the wait it was in as an instant (not a duration, so waiting again does not extend it), and the
 * most recent delivery ids (bounded) so a redelivery straight after the switch is still recognised.
 */
export interface ContinuedRun {
  stage: WaitingStage;
  state: OnboardingState;
  /** The wait's deadline (customer, Ondato review, or the review escalation), ISO 8601. */
  deadlineAt: string;
  seenDeliveryIds: string[];
  /** How many runs of this onboarding came before this one (1 for the first continuation). */
  generation: number;
}

/**
 * An Ondato verification this run created or met beside its current one. Ids only. `origin`:
 * `retried_create` — an earlier attempt of the create call had made it (its id was in the attempt's heartbeat);
 * `webhook` — a webhook named it (our externalReferenceId, not the run's IDV);
 * `intent_only` — an attempt died after sending the create request and before recording Ondato's answer, so an
 * IDV may exist that nobody can name (Ondato has no idempotency key and no search by reference): no id.
 */
export interface ExtraVerification {
  idvId?: string;
  origin: 'retried_create' | 'webhook' | 'intent_only';
  noticedAt: string;
  /** What became of it: redaction asked for, left alone (with why), or not possible (no id). */
  disposition: 'redaction_requested' | 'ignored' | 'unknown_id' | 'redaction_failed';
  /** Why it was ignored or the redaction failed: a code, no free text from Ondato. */
  note?: string;
}

export const STAGES = [
  'creating_verification',
  'awaiting_customer',
  'fetching_results',
  'awaiting_ondato_review',
  'storing_documents',
  'deciding',
  'manual_review',
  /** Parked: a step failed after the customer had a link; it resumes by ops (update or signal) or a timer. */
  'needs_attention',
  'notifying',
  'completed',
] as const;
export type Stage = (typeof STAGES)[number];

export const OUTCOMES = [
  'approved',
  'rejected',
  'manual_review',
  'expired',
  'abandoned',
  'cancelled',
] as const;
/** `manual_review` is an intermediate outcome: the run waits for ops, who turn it into approved or rejected. */
export type Outcome = (typeof OUTCOMES)[number];
export type FinalOutcome = Exclude<Outcome, 'manual_review'>;

export interface StoredDocument {
  key: string;
  sha256: string;
  bytes: number;
  contentType: string;
  fileId: string;
  part?: string;
  fileType?: string;
}

/** The part of a KYC identification the decision needs; kept small because it goes into history. */
export interface KycSummary {
  kycId: string;
  idvId?: string;
  status: string;
  statusReason?: string;
  isCrossChecked?: boolean;
  rules: Array<{ name: string; status: string }>;
  document?: {
    type?: string;
    firstName?: string;
    lastName?: string;
    dateOfBirth?: string;
    personalCode?: string;
    dateOfExpiration?: string;
  };
  files: Array<{ fileId: string; part?: string; fileType?: string; fileExtension?: string }>;
}

export interface IdvSnapshot {
  idvId: string;
  status: string;
  kycId?: string;
}

export interface ReviewDecision {
  reviewerId: string;
  decision: 'approved' | 'rejected';
  note?: string;
  decidedAt: string;
}

export interface OnboardingTimestamps {
  startedAt: string;
  customerUrlIssuedAt?: string;
  customerFinishedAt?: string;
  resultsFetchedAt?: string;
  decidedAt?: string;
  escalatedAt?: string;
  notifiedAt?: string;
  completedAt?: string;
}

/** Why a run is parked and where it resumes. Failure types and Ondato's codes only: no free text from Ondato. */
export interface Attention {
  /** The failure type of the step that gave up (e.g. `OndatoAuthFailed`). */
  reason: string;
  /** The stage whose step failed: the run resumes there. */
  step: Stage;
  /** Our own failure message (ids and status codes, no personal data). */
  message?: string;
  ondatoStatus?: number;
  ondatoReason?: string;
  since: string;
  /** When the run retries by itself if nobody resumes it first. */
  retryAt: string;
}

/**
 * Why a run failed for good, as the run itself records it: the failure type, the stage, Ondato's status and
 * reason code and the names of the fields it refused (never its free text, which can echo submitted values).
 */
export interface RunFailureSummary {
  type: string;
  stage: Stage;
  message: string;
  ondatoStatus?: number;
  ondatoReason?: string;
  fields?: Record<string, string[]>;
}

/** A resume of a parked run: who asked (`timer` when it retried by itself) and when. */
export interface ResumeRecord {
  requestedBy: string;
  note?: string;
  step: Stage;
  reason: string;
  at: string;
}

/** What the state query returns and the API serves. Ids, stages and outcomes: no registration data. */
export interface OnboardingState {
  customerId: string;
  stage: Stage;
  outcome?: Outcome;
  reasons: string[];
  policyVersion?: string;
  idvId?: string;
  idvStatus?: string;
  customerUrl?: string;
  kycId?: string;
  kycStatus?: string;
  documents: StoredDocument[];
  review?: ReviewDecision;
  timestamps: OnboardingTimestamps;
  webhooksReceived: number;
  /** Set while an activity keeps failing, so ops see why a run is stuck. */
  lastError?: string;
  /** Present once the run has failed for good (it is about to close as FAILED). */
  failure?: RunFailureSummary;
  /** Present while the run is parked in `needs_attention`. */
  attention?: Attention;
  /** Every time the run left `needs_attention`, oldest first. */
  resumes?: ResumeRecord[];
  /** The KYC identification of an earlier run this one took over (no new IDV, no customer link). */
  resumedFromKycId?: string;
  /** Every IDV id this run created (or reused after a retried create), oldest first. */
  createdIdvIds?: string[];
  /** Verifications beside the current one: extras found and what was done about them (ids only). */
  extraVerifications?: ExtraVerification[];
  /** Present once the onboarding has continued as new: how many runs came before this one. */
  continuedRuns?: number;
  /** The instant the customer's time runs out (ISO 8601); fresh links do not move it. */
  customerDeadlineAt?: string;
  /** Reminders sent so far (carried across continue-as-new, so none goes out twice). */
  remindersSent?: ReminderSent[];
  /** Present while Ondato has ended the current session and the run waits for a fresh-link request. */
  relinkOpenUntil?: string;
  /** Every fresh link the product asked for, oldest first. */
  relinks?: RelinkRecord[];
  /** The approved run this re-verification follows. */
  reverificationOf?: ReverificationOf;
  /** The identity document's expiry (YYYY-MM-DD) from the KYC data, handed to the aftercare run. */
  documentExpiresOn?: string;
  /** How the closed run reached the customer's aftercare run. */
  aftercare?: { handedOverAt: string; how: 'started' | 'signalled' | 'failed' };
}

/** The workflow result: the decision record. */
export interface DecisionRecord {
  customerId: string;
  outcome: FinalOutcome;
  reasons: string[];
  policyVersion?: string;
  idvId?: string;
  kycId?: string;
  documents: StoredDocument[];
  review?: ReviewDecision;
  timestamps: OnboardingTimestamps;
}

/**
 * Memo fields a run keeps up to date (encrypted by the codec), so readers can show a run's stage and link when
 * no worker answers the state query.
 */
export const RUN_MEMO_KEYS = {
  stage: 'stage',
  customerId: 'customerId',
  idvId: 'idvId',
  customerUrl: 'customerUrl',
  kycId: 'kycId',
  attentionReason: 'attentionReason',
  /** How many possible or known extra IDVs the run met (no ids: visible in the UI's list at a glance). */
  extraVerifications: 'extraVerifications',
} as const;
