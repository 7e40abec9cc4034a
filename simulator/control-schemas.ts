/**
 * Inputs of the simulator's control API (`/_sim/...`) and of the customer page, validated with zod. Strict
 * objects: a typo in a test's request fails loudly instead of being ignored. The control client imports the
 * inferred types, so both sides agree.
 */
import { z } from 'zod';

export const CUSTOMER_FLOW_OUTCOMES = ['approved', 'rejected', 'awaiting', 'aborted', 'expired'] as const;
export type CustomerFlowOutcome = (typeof CUSTOMER_FLOW_OUTCOMES)[number];

/** Reasons offered on the customer page; the control API accepts any string. */
export const REJECTION_REASONS = [
  'PoorPhotoQuality',
  'DocumentIsExpired',
  'DataDoesNotMatch',
  'FacesDoesNotMatch',
  'DocumentNotAccepted',
  'MissingDocumentPhoto',
  'UnderagePerson',
  'Sanctioned',
  'PossibleFraudAttempt',
] as const;

const nullableText = z.string().nullable().optional();

/** Overrides of the document data that is otherwise copied from the registration. */
export const documentOverridesSchema = z.strictObject({
  type: nullableText,
  fullName: nullableText,
  firstName: nullableText,
  middleName: nullableText,
  lastName: nullableText,
  dateOfBirth: nullableText,
  personalCode: nullableText,
  documentNumber: nullableText,
  dateOfIssue: nullableText,
  dateOfExpiration: nullableText,
  nationalityIso3: nullableText,
  countryIso3: nullableText,
  gender: nullableText,
});
export type DocumentOverrides = z.infer<typeof documentOverridesSchema>;

export const ruleSchema = z.strictObject({ name: z.string().min(1), status: z.string().min(1) });
export type KycRule = z.infer<typeof ruleSchema>;

/** Up to 2 GiB per file: enough for any test, small enough to stay a safe integer everywhere. */
const documentBytesSchema = z
  .number()
  .int()
  .nonnegative()
  .max(2 ** 31);

export const completeRequestSchema = z.strictObject({
  outcome: z.enum(CUSTOMER_FLOW_OUTCOMES),
  statusReason: z.string().min(1).optional(),
  /** Size of every file of the identification. */
  documentBytes: documentBytesSchema.optional(),
  rules: z.array(ruleSchema).optional(),
  document: documentOverridesSchema.optional(),
});
export type CompleteRequest = z.infer<typeof completeRequestSchema>;

export const decideRequestSchema = z.strictObject({
  status: z.enum(['Approved', 'Rejected']),
  statusReason: z.string().min(1).optional(),
});
export type DecideRequest = z.infer<typeof decideRequestSchema>;

/** Raw edits for edge cases: unknown statuses, extra fields the client must tolerate. */
export const patchIdvRequestSchema = z.strictObject({
  status: z.string().min(1).optional(),
  extraFields: z.record(z.string(), z.unknown()).optional(),
});
export type PatchIdvRequest = z.infer<typeof patchIdvRequestSchema>;

export const patchKycRequestSchema = z.strictObject({
  status: z.string().min(1).optional(),
  statusReason: z.string().min(1).nullable().optional(),
  extraFields: z.record(z.string(), z.unknown()).optional(),
});
export type PatchKycRequest = z.infer<typeof patchKycRequestSchema>;

export const FAULT_ROUTES = ['token', 'createIdv', 'getIdv', 'getKyc', 'downloadFile', 'redactIdv'] as const;
export type FaultRoute = (typeof FAULT_ROUTES)[number];
export const FAULT_MODES = [
  'status',
  'retryAfter',
  'latency',
  'drop',
  'malformed',
  'lateAnswer',
  'substitute',
] as const;

export const faultRequestSchema = z
  .strictObject({
    route: z.enum([...FAULT_ROUTES, '*']),
    mode: z.enum(FAULT_MODES),
    /** mode 'status': the HTTP status to answer (default 503). */
    status: z.number().int().min(400).max(599).optional(),
    /** How many of the next matching requests are affected; omitted = every one until cleared. */
    times: z.number().int().positive().optional(),
    /**
     * The chance that a matching request is affected, drawn per request; omitted = every one. With `times`, the
     * rule ends after that many affected requests. A spared request is checked against the next rule.
     */
    probability: z.number().gt(0).max(1).optional(),
    /**
     * mode 'latency': the delay before the request is served normally (default 1000). mode 'lateAnswer': the
     * request is served at once (a create creates), and its answer is held back this long.
     */
    latencyMs: z.number().int().nonnegative().max(600_000).optional(),
    /** mode 'retryAfter': the Retry-After header in seconds (default 1). */
    retryAfterSeconds: z.number().int().nonnegative().optional(),
    /**
     * mode 'malformed': a 200 whose body lacks a required field (default) or is not JSON. On downloadFile both
     * mean a body cut off before its Content-Length.
     */
    malformed: z.enum(['missing_field', 'invalid_json']).optional(),
    /**
     * mode 'substitute' (getIdv, getKyc): answer with this other resource (another session's IDV or
     * identification) instead of the one asked for, as a mixed-up proxy or cache would.
     */
    substituteId: z.string().min(1).optional(),
  })
  .refine((fault) => (fault.mode === 'substitute') === (fault.substituteId !== undefined), {
    message: "substituteId goes with mode 'substitute', and only with it",
    path: ['substituteId'],
  });
export type FaultRequest = z.infer<typeof faultRequestSchema>;

export const webhookSettingsUpdateSchema = z.strictObject({
  /** null switches delivery off. */
  url: z.url().nullable().optional(),
  username: z.string().min(1).optional(),
  password: z.string().min(1).optional(),
  hmacSecret: z.string().min(1).nullable().optional(),
  timeScale: z.number().positive().optional(),
  duplicate: z.boolean().optional(),
  reorder: z.boolean().optional(),
  drop: z.boolean().optional(),
});
export type WebhookSettingsUpdate = z.infer<typeof webhookSettingsUpdateSchema>;

/** The customer page's forms. */
export const pageActionSchema = z.object({
  id: z.string().min(1),
  action: z.enum(['approve', 'reject', 'awaiting', 'abort']),
  statusReason: z.string().min(1).optional(),
});
export type PageAction = z.infer<typeof pageActionSchema>;
