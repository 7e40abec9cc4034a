/**
 * zod schemas of every Ondato resource the service reads (see ../shared/ondato-api.md). Ondato publishes no
 * closed lists, so statuses, reasons, document types and webhook types are open strings with the known values
 * named alongside, and every object keeps fields it does not know (`looseObject`).
 */
import { z } from 'zod';

/** Known values, for readers and for switches; the schemas accept any string. */
export const IDV_STATUSES = ['Pending', 'InProgress', 'Completed', 'Expired', 'Aborted'] as const;
export const KYC_STATUSES = ['Awaiting', 'Approved', 'Rejected'] as const;
export const WEBHOOK_TYPES = [
  'IdentityVerification.StatusChanged',
  'IdentityVerification.Consented',
  'Idv.StatusChanged',
  'Idv.Consented',
  'KycIdentification.Created',
  'KycIdentification.Processed',
  'KycIdentification.Approved',
  'KycIdentification.Updated',
  'KycIdentification.Rejected',
] as const;

const nullableString = z.string().nullish();

export const tokenResponseSchema = z.looseObject({
  access_token: z.string().min(1),
  expires_in: z.number().positive(),
  token_type: z.string(),
  scope: z.string().optional(),
});
export type TokenResponse = z.infer<typeof tokenResponseSchema>;

export const registrationSchema = z.looseObject({
  firstName: nullableString,
  middleName: nullableString,
  lastName: nullableString,
  dateOfBirth: nullableString,
  email: nullableString,
  personalCode: nullableString,
  phoneNumber: z.number().nullish(),
  countryCode: nullableString,
});
export type OndatoRegistration = z.infer<typeof registrationSchema>;

export const createIdvRequestSchema = z.object({
  setupId: z.uuid(),
  externalReferenceId: z.string().min(1).optional(),
  registration: registrationSchema.optional(),
});
export type CreateIdvRequest = z.infer<typeof createIdvRequestSchema>;

export const createIdvResponseSchema = z.looseObject({ id: z.string().min(1) });

export const identityVerificationSchema = z.looseObject({
  id: z.string().min(1),
  applicationId: nullableString,
  status: z.string().min(1),
  createdUtc: nullableString,
  modifiedUtc: nullableString,
  externalReferenceId: nullableString,
  registration: registrationSchema.nullish(),
  setup: z.looseObject({ id: nullableString, versionId: nullableString }).nullish(),
  step: z
    .looseObject({
      consent: z.looseObject({ id: nullableString, isConsented: z.boolean().nullish() }).nullish(),
      kycIdentification: z.looseObject({ id: z.string().min(1), isSuccess: z.boolean().nullish() }).nullish(),
    })
    .nullish(),
  redaction: z.looseObject({ redactedUtc: nullableString }).nullish(),
});
export type IdentityVerification = z.infer<typeof identityVerificationSchema>;

export const kycFileSchema = z.looseObject({
  fileId: z.string().min(1),
  fileName: nullableString,
  fileExtension: nullableString,
  createdUtc: nullableString,
  part: nullableString,
  fileType: nullableString,
});
export type KycFile = z.infer<typeof kycFileSchema>;

export const kycRuleSchema = z.looseObject({ name: z.string(), status: z.string() });

export const kycDocumentSchema = z.looseObject({
  type: nullableString,
  fullName: nullableString,
  firstName: nullableString,
  middleName: nullableString,
  lastName: nullableString,
  documentNumber: nullableString,
  dateOfIssue: nullableString,
  dateOfExpiration: nullableString,
  dateOfBirth: nullableString,
  personalCode: nullableString,
  nationalityIso3: nullableString,
  countryIso3: nullableString,
  mrzVerified: z.boolean().nullish(),
  files: z.array(kycFileSchema).nullish(),
});

export const kycIdentificationSchema = z.looseObject({
  id: z.string().min(1),
  applicationId: nullableString,
  identityVerificationId: nullableString,
  externalReferenceId: nullableString,
  createdUtc: nullableString,
  completedUtc: nullableString,
  status: z.string().min(1),
  statusReason: nullableString,
  isCrossChecked: z.boolean().nullish(),
  document: kycDocumentSchema.nullish(),
  face: z.looseObject({ files: z.array(kycFileSchema).nullish() }).nullish(),
  rules: z.array(kycRuleSchema).nullish(),
  additionalFiles: z.array(kycFileSchema).nullish(),
});
export type KycIdentification = z.infer<typeof kycIdentificationSchema>;

export const ondatoErrorBodySchema = z.looseObject({
  reason: z.string().optional(),
  message: z.string().optional(),
  params: z
    .record(
      z.string(),
      z.array(z.looseObject({ reason: z.string().optional(), message: z.string().optional() })),
    )
    .optional(),
});
export type OndatoErrorBody = z.infer<typeof ondatoErrorBodySchema>;

/** A webhook delivery. `payload` is the resource as its GET returns it: a hint, re-fetched before deciding. */
export const webhookEnvelopeSchema = z.looseObject({
  id: z.string().min(1),
  applicationId: nullableString,
  createdUtc: z.string().min(1),
  deliveredUtc: nullableString,
  isDelivered: z.boolean().nullish(),
  type: z.string().min(1),
  payload: z.looseObject({
    id: z.string().min(1).optional(),
    externalReferenceId: nullableString,
    identityVerificationId: nullableString,
    status: nullableString,
  }),
});
export type WebhookEnvelope = z.infer<typeof webhookEnvelopeSchema>;

/**
 * An IDV payload's KYC id, read apart from the envelope: it is only a hint for skipping a re-fetch, so a payload
 * whose `step` has another shape is still a valid delivery (it just carries no hint).
 */
export const webhookStepHintSchema = z.looseObject({
  step: z.looseObject({ kycIdentification: z.looseObject({ id: z.string().min(1) }) }),
});
