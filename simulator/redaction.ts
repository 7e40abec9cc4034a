/**
 * What the simulator erases when a redaction completes. Ondato documents `PUT .../redact` as an asynchronous
 * erasure of a session's personal and/or biometric data whose progress shows on the IDV (`redaction
 * { redactedUtc }`); it documents no deletion of a KYC identification or its files, and says nothing of what a
 * redacted identification looks like. The simulator's reading [guess]: the registration goes, the identification
 * stays as a record of its id, status and rules, with every document field blanked and no files (a file request
 * answers 404), and fields a test added go too.
 */
import type { SimIdentityVerification, SimKycIdentification } from './store';

export function eraseVerification(idv: SimIdentityVerification, kyc: SimKycIdentification | undefined): void {
  idv.registration = null;
  idv.extraFields = {};
  if (!kyc) return;
  kyc.document = Object.fromEntries(
    Object.keys(kyc.document).map((field) => [field, null]),
  ) as unknown as SimKycIdentification['document'];
  kyc.documentFiles = [];
  kyc.faceFiles = [];
  kyc.extraFields = {};
}
