/**
 * The decision policy: a pure function of the KYC result, the registration and what was stored. Versioned,
 * because the version goes into every decision record and a changed rule must be traceable.
 * Anything doubtful goes to a human (`manual_review`), never to an automatic approval.
 */
import type { KycSummary, Registration, StoredDocument } from '../contract';

export const POLICY_VERSION = '2026-11-26.1';

export interface PolicyInput {
  kyc: KycSummary;
  registration: Registration;
  storedDocuments: StoredDocument[];
  /** The decision date, `YYYY-MM-DD` (from workflow time, so replay decides the same). */
  today: string;
}

export interface PolicyDecision {
  outcome: 'approved' | 'rejected' | 'manual_review';
  reasons: string[];
  policyVersion: string;
}

/** Case, accents and spacing differ between registration forms and document OCR; compare what is left. */
export function normalizeForComparison(value: string): string {
  return value
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

const COMPARED_FIELDS = ['firstName', 'lastName', 'dateOfBirth', 'personalCode'] as const;

function dataMismatches(kyc: KycSummary, registration: Registration): string[] {
  const document = kyc.document ?? {};
  return COMPARED_FIELDS.filter((field) => {
    const registered = registration[field];
    const onDocument = document[field];
    if (!registered || !onDocument) return false;
    return normalizeForComparison(registered) !== normalizeForComparison(onDocument);
  }).map((field) => `data_mismatch:${field}`);
}

function documentProblems(kyc: KycSummary, stored: StoredDocument[], today: string): string[] {
  const problems: string[] = [];
  const storedIds = new Set(stored.map((document) => document.fileId));
  if (!kyc.files.some((file) => file.fileType === 'DocumentPhoto')) problems.push('missing_document_photo');
  for (const file of kyc.files) {
    if (!storedIds.has(file.fileId)) problems.push(`file_not_stored:${file.fileId}`);
  }
  const expiration = kyc.document?.dateOfExpiration?.slice(0, 10);
  if (expiration && expiration < today) problems.push('document_expired');
  return problems;
}

export function decide(input: PolicyInput): PolicyDecision {
  const { kyc } = input;
  const result = (outcome: PolicyDecision['outcome'], reasons: string[]): PolicyDecision => ({
    outcome,
    reasons,
    policyVersion: POLICY_VERSION,
  });

  if (kyc.status === 'Rejected') {
    return result('rejected', [`ondato_rejected:${kyc.statusReason || 'Unspecified'}`]);
  }
  if (kyc.status !== 'Approved') {
    return result('manual_review', [`kyc_status_not_final:${kyc.status}`]);
  }
  const doubts = [
    ...kyc.rules.filter((rule) => rule.status !== 'Success').map((rule) => `rule_failed:${rule.name}`),
    ...documentProblems(kyc, input.storedDocuments, input.today),
    ...dataMismatches(kyc, input.registration),
  ];
  if (doubts.length > 0) return result('manual_review', doubts);
  return result('approved', ['ondato_approved']);
}
