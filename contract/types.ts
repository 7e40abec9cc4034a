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
}

export const DEFAULT_TIMEOUTS: OnboardingTimeouts = {
  customerDeadlineMs: 7 * 24 * 60 * 60 * 1000,
  ondatoReviewDeadlineMs: 3 * 24 * 60 * 60 * 1000,
  manualReviewEscalationMs: 2 * 24 * 60 * 60 * 1000,
  pollIntervalMs: 15 * 60 * 1000,
  downloadHeartbeatTimeoutMs: 30 * 1000,
};

export interface OnboardingInput {
  customerId: string;
  registration: Registration;
  /** Ondato IDV setup; the worker's configured default when absent. */
  setupId?: string;
  /** Where the outcome is posted; the worker's configured default when absent, none if neither. */
  callbackUrl?: string;
  timeouts?: Partial<OnboardingTimeouts>;
}

export const STAGES = [
  'creating_verification',
  'awaiting_customer',
  'fetching_results',
  'awaiting_ondato_review',
  'storing_documents',
  'deciding',
  'manual_review',
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
} as const;
