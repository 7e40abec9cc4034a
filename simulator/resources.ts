/**
 * The JSON shapes Ondato's GET endpoints return (and webhook payloads carry), built from the simulator's
 * state. Fields the service does not read are present too, as on the real API.
 */
import {
  SETUP_VERSION_ID,
  type SimFile,
  type SimIdentityVerification,
  type SimKycIdentification,
} from './store';

export function identityVerificationResource(
  idv: SimIdentityVerification,
  applicationId: string,
  kyc: SimKycIdentification | undefined,
): Record<string, unknown> {
  return {
    id: idv.id,
    applicationId,
    status: idv.status,
    createdUtc: idv.createdUtc,
    modifiedUtc: idv.modifiedUtc,
    externalReferenceId: idv.externalReferenceId,
    registration: idv.registration,
    setup: { id: idv.setupId, versionId: SETUP_VERSION_ID },
    step: {
      consent: idv.consent,
      kycIdentification: kyc ? { id: kyc.id, isSuccess: successOf(kyc.status) } : null,
      kybIdentification: null,
      faceAuthentication: null,
      forms: [],
    },
    ...(idv.redaction?.redactedUtc ? { redaction: { redactedUtc: idv.redaction.redactedUtc } } : {}),
    ...idv.extraFields,
  };
}

function successOf(status: string): boolean | null {
  if (status === 'Approved') return true;
  if (status === 'Rejected') return false;
  return null;
}

export function kycIdentificationResource(
  kyc: SimKycIdentification,
  applicationId: string,
): Record<string, unknown> {
  return {
    id: kyc.id,
    applicationId,
    identityVerificationId: kyc.identityVerificationId,
    externalReferenceId: kyc.externalReferenceId,
    setup: { id: kyc.setupId, versionId: SETUP_VERSION_ID },
    createdUtc: kyc.createdUtc,
    completedUtc: kyc.completedUtc,
    status: kyc.status,
    statusReason: kyc.statusReason,
    isCrossChecked: kyc.isCrossChecked,
    document: {
      ...kyc.document,
      address: null,
      category: null,
      mrzVerified: true,
      files: kyc.documentFiles.map(fileResource),
    },
    face: { files: kyc.faceFiles.map(fileResource), ageEstimation: null },
    rules: kyc.rules,
    registries: [],
    fraudChecks: [],
    scores: [],
    additionalFiles: [],
    ...kyc.extraFields,
  };
}

function fileResource(file: SimFile): Record<string, unknown> {
  return {
    fileId: file.fileId,
    fileName: file.fileName,
    fileExtension: file.fileExtension,
    createdUtc: file.createdUtc,
    part: file.part,
    fileType: file.fileType,
  };
}
