/**
 * The ids in Ondato's answers, checked against the run's: an IDV's own id, its reference (our customer id) and
 * its KYC identification; an identification's own id, its parent IDV and its reference. Plus how the activities
 * read the Ondato failures they get back from `callOndato` (answered with a status, not found).
 */
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../contract';
import type { IdentityVerification, KycIdentification } from '../ondato/schemas';

/** The ids a fetched resource must carry to belong to the run (absent ones are not checked). */
export interface ExpectedIds {
  customerId: string;
  idvId?: string;
  kycId?: string;
}

/**
 * Refuses an Ondato answer that belongs to another session (defence in depth: a mixed-up proxy, cache or
 * Ondato itself). Not retried: the run parks for ops. The message names fields, never values.
 */
export function idMismatch(operation: string, field: string): ApplicationFailure {
  return ApplicationFailure.create({
    message: `${operation}: ${field} in Ondato's answer is not the run's`,
    type: FailureType.OndatoIdMismatch,
    nonRetryable: true,
    details: [{ operation, field }],
  });
}

export function checkIdv(idv: IdentityVerification, idvId: string, expected: ExpectedIds | undefined): void {
  const operation = 'getIdentityVerification';
  if (idv.id !== idvId) throw idMismatch(operation, 'id');
  if (!expected) return;
  if (idv.externalReferenceId && idv.externalReferenceId !== expected.customerId) {
    throw idMismatch(operation, 'externalReferenceId');
  }
  const kycId = idv.step?.kycIdentification?.id;
  if (expected.kycId && kycId && kycId !== expected.kycId) {
    throw idMismatch(operation, 'step.kycIdentification.id');
  }
}

export function checkKyc(kyc: KycIdentification, kycId: string, expected: ExpectedIds | undefined): void {
  const operation = 'getKycIdentification';
  if (kyc.id !== kycId) throw idMismatch(operation, 'id');
  if (!expected) return;
  if (expected.idvId && kyc.identityVerificationId && kyc.identityVerificationId !== expected.idvId) {
    throw idMismatch(operation, 'identityVerificationId');
  }
  if (kyc.externalReferenceId && kyc.externalReferenceId !== expected.customerId) {
    throw idMismatch(operation, 'externalReferenceId');
  }
}

/** Ondato's `...Utc` fields may come without a zone designator; they are UTC all the same. */
export function parseUtc(value: string | null | undefined): number {
  if (!value) return Number.NaN;
  return Date.parse(/(?:[zZ]|[+-]\d{2}:?\d{2})$/.test(value) ? value : `${value}Z`);
}

/** Ondato answered the call with an HTTP status (it did not fail in transit). */
export function answeredWithStatus(failure: ApplicationFailure): boolean {
  const detail: unknown = failure.details?.[0];
  return typeof detail === 'object' && detail !== null && (detail as { kind?: unknown }).kind === 'http';
}

export function isNotFoundFailure(error: unknown): boolean {
  if (!(error instanceof ApplicationFailure)) return false;
  const detail: unknown = error.details?.[0];
  return typeof detail === 'object' && detail !== null && (detail as { status?: unknown }).status === 404;
}
