/**
 * Every request and response body of the API, as zod schemas. The routes validate with them and the OpenAPI
 * document is generated from them (the routes declare which schema each operation takes and answers, see
 * ./route-spec.ts), so the documentation cannot drift from the checks.
 */
import { z } from 'zod';
import { CUSTOMER_ID_PATTERN } from '../contract';
import {
  CALLBACK_EVENT_TYPES,
  OUTCOMES,
  STAGES,
  type CallbackEvent,
  type FinalOutcome,
  type OnboardingInput,
  type OnboardingTimeouts,
  type ResumeInput,
} from '../contract';
import { birthDatePattern } from './birth-date-pattern';
import { COUNTRY_CODES } from './country-codes';
import { ERROR_CODES, type ErrorCode } from './errors';

export interface SchemaDoc {
  /** The component name in the OpenAPI document. */
  id: string;
  description?: string;
  examples?: unknown[];
}
/** The schemas that become named OpenAPI components (by id); descriptions and examples live in `.meta()`. */
export const apiSchemas = z.registry<{ id: string }>();

function component<S extends z.ZodType>(schema: S, { id, ...meta }: SchemaDoc): S {
  // The id in `.meta()` too: the OpenAPI generator (zod-openapi) turns every schema with one into a component.
  const documented = schema.meta({ id, ...meta });
  apiSchemas.add(documented as z.ZodType, { id });
  return documented;
}

const SECOND = 1000;
const DAY = 24 * 60 * 60 * SECOND;

export const customerIdSchema = z
  .string()
  .regex(CUSTOMER_ID_PATTERN, 'letters, digits and . _ : - (up to 100, starting with a letter or digit)')
  .describe("The product backend's customer id; the onboarding workflow id is `onboarding-<customerId>`.");

/**
 * What String.prototype.trim() removes (ECMAScript WhiteSpace and LineTerminator), spelled out: `\s` differs
 * between regex engines (Python's includes U+001C–U+001F, JavaScript's U+FEFF), and the OpenAPI document's
 * patterns are read by other engines too.
 */
const TRIMMED = '\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff';
const NOT_BLANK = new RegExp(`[^${TRIMMED}]`);

/**
 * Free text that must say something: up to `max` characters as sent, at least one that is not whitespace,
 * stored trimmed. Every rule is one the OpenAPI document carries (maxLength, pattern); the trim only
 * normalises what passed.
 */
export const nonBlankText = (max: number) =>
  z.string().max(max).regex(NOT_BLANK, 'must contain a character other than whitespace').trim();

const name = nonBlankText(100);

/** A real calendar date from 1900-01-01 to today, as one pattern the document carries (./birth-date-pattern.ts). */
const dateOfBirth = z
  .string()
  .regex(birthDatePattern(new Date()), 'a real date as YYYY-MM-DD, from 1900-01-01 and not in the future')
  .describe('YYYY-MM-DD, from 1900-01-01 to today');

/**
 * Ondato wants a JSON number of digits without `+`. A string is accepted too, because that is how most systems
 * store phone numbers: digits with an optional leading `+`. A leading zero is refused (it would be lost in the
 * number, and E.164 numbers never start with one); 4–15 digits as in E.164.
 */
const phoneNumber = z
  .union([
    z
      .number()
      .int()
      .min(1_000, '4–15 digits, no leading zero')
      .max(999_999_999_999_999, '4–15 digits, no leading zero'),
    z
      .string()
      .regex(/^\+?[1-9]\d{3,14}$/, 'digits with an optional leading +: 4–15 digits, no leading zero')
      .transform((value) => Number(value.replace(/^\+/, ''))),
  ])
  .describe(
    'Digits only, country code first, e.g. 370624515141 (a string like "+370624515141" is converted).',
  );

/**
 * zod's own email rule as a pattern only: `format: email` would let each tool apply its own idea of an email
 * (RFC 5321's 64-character local part, quoted names...), which the API does not check.
 */
const email = z
  .string()
  .max(254)
  .regex(z.regexes.email, 'Invalid email address')
  .describe('An email address');

const countryCode = z
  .enum(COUNTRY_CODES, { error: 'an ISO 3166-1 alpha-2 code in upper case, e.g. LT' })
  .describe('ISO 3166-1 alpha-2, upper case');

export const registrationSchema = component(
  z.strictObject({
    firstName: name.optional(),
    middleName: name.optional(),
    lastName: name.optional(),
    dateOfBirth: dateOfBirth.optional(),
    email: email.optional(),
    personalCode: nonBlankText(50).optional(),
    phoneNumber: phoneNumber.optional(),
    countryCode: countryCode.optional(),
  }),
  {
    id: 'Registration',
    description:
      'What the product backend already knows about the customer; Ondato pre-fills and cross-checks it.',
    examples: [
      {
        firstName: 'Ona',
        lastName: 'Onaitė',
        dateOfBirth: '1990-04-01',
        email: 'ona@example.com',
        phoneNumber: 370624515141,
        countryCode: 'LT',
      },
    ],
  },
);

const duration = (min: number, max: number) => z.number().int().min(min).max(max);

export const timeoutsSchema = component(
  z.strictObject({
    customerDeadlineMs: duration(SECOND, 90 * DAY)
      .optional()
      .describe('How long the customer has to finish'),
    ondatoReviewDeadlineMs: duration(SECOND, 30 * DAY)
      .optional()
      .describe('How long Ondato may keep a result Awaiting'),
    manualReviewEscalationMs: duration(SECOND, 30 * DAY)
      .optional()
      .describe('When an open manual review escalates'),
    pollIntervalMs: duration(SECOND, DAY)
      .optional()
      .describe('How often Ondato is polled in case a webhook is lost'),
    downloadHeartbeatTimeoutMs: duration(SECOND, 10 * 60 * SECOND)
      .optional()
      .describe('A document download silent for this long is retried'),
    parkedRetryMs: duration(SECOND, 7 * DAY)
      .optional()
      .describe('A parked run (needs_attention) retries its failed step by itself after this long'),
    relinkGraceMs: duration(0, 90 * DAY)
      .optional()
      .describe(
        'After Ondato expired the session or the customer aborted it, how long the run waits for POST /v1/onboardings/{customerId}/link before it ends as expired or abandoned (never past the customer deadline). 0, the default, ends it at once',
      ),
  }),
  {
    id: 'Timeouts',
    description:
      'Optional per-run durations in milliseconds; the service defaults (days) apply to what is left out.',
  },
);

/**
 * An absolute http(s) URL as a pattern every match of which the URL parser accepts: an ASCII host name whose
 * last label starts with a letter (a numeric one would be read as an IPv4 address), or a dotted IPv4
 * address; a port up to 65535; printable ASCII after it. The WHATWG parser alone accepts more (spaces
 * trimmed, backslashes, `http:host`), which a schema could not describe.
 */
const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const LABEL = '(?![Xx][Nn]--)[A-Za-z0-9-]+';
const HOST = `(?:(?:${LABEL}\\.)*(?![Xx][Nn]--)[A-Za-z][A-Za-z0-9-]*\\.?|${OCTET}(?:\\.${OCTET}){3})`;
const PORT = '(?::(?:6553[0-5]|655[0-2]\\d|65[0-4]\\d{2}|6[0-4]\\d{3}|[1-5]\\d{4}|\\d{1,4}))?';
const HTTP_URL = new RegExp(`^https?://${HOST}${PORT}(?:[/?#][!-~]*)?$`);
const callbackUrl = z
  .string()
  .max(2000)
  .regex(HTTP_URL, 'an absolute http(s) URL: ASCII host name or IPv4 address, no spaces')
  .refine((value) => URL.canParse(value), 'an http(s) URL');

const onboardingOptions = {
  registration: registrationSchema,
  setupId: z.uuid().optional().describe('Ondato IDV setup; the service default when absent'),
  callbackUrl: callbackUrl
    .optional()
    .describe(
      'Where the outcome is posted (signed); the service default when absent. Only targets the service allows (CALLBACK_URL, CALLBACK_ALLOWED_URLS) are accepted; any other is refused with a 400.',
    ),
  timeouts: timeoutsSchema.optional(),
  reminders: z
    .array(
      z.union([
        z.strictObject({ afterLinkMs: duration(SECOND, 90 * DAY) }),
        z.strictObject({ beforeDeadlineMs: duration(SECOND, 90 * DAY) }),
      ]),
    )
    .max(10)
    .optional()
    .describe(
      'When `onboarding.reminder_due` is sent while the customer has not finished: after the current link was issued, or before the customer deadline. Default: a day after the link and a day before the deadline; `[]` sends none. A reminder whose moment falls before its link or at the deadline is skipped; a fresh link has reminders of its own',
    ),
};

export const startOnboardingRequestSchema = component(
  z.strictObject({ customerId: customerIdSchema, ...onboardingOptions }),
  {
    id: 'StartOnboardingRequest',
    examples: [
      { customerId: 'c-42', registration: { firstName: 'Ona', lastName: 'Onaitė', countryCode: 'LT' } },
    ],
  },
);

/** A retry carries the registration again: the API never reads personal data back out of workflow history. */
export const retryOnboardingRequestSchema = component(z.strictObject(onboardingOptions), {
  id: 'RetryOnboardingRequest',
  examples: [{ registration: { firstName: 'Ona', lastName: 'Onaitė', countryCode: 'LT' } }],
});

/** A re-verification carries the registration again, like a retry. */
export const reverificationRequestSchema = component(z.strictObject(onboardingOptions), {
  id: 'ReverificationRequest',
  examples: [{ registration: { firstName: 'Ona', lastName: 'Onaitė', countryCode: 'LT' } }],
});

/** Nothing to say: the caller is the key's identity, the IDV to replace is the run's current one. */
export const relinkRequestSchema = component(
  z.strictObject({
    note: z.string().max(500).optional().describe('Logged only (e.g. the product ticket)'),
  }),
  { id: 'RelinkRequest', examples: [{}] },
);

export const reviewRequestSchema = component(
  z.strictObject({
    reviewerId: nonBlankText(200)
      .optional()
      .describe(
        "Ignored for the record (kept for compatibility, logged): the decision records the ops key's identity",
      ),
    decision: z.enum(['approved', 'rejected']),
    note: z.string().max(2000).optional(),
  }),
  { id: 'ReviewRequest', examples: [{ decision: 'approved', note: 'documents checked by hand' }] },
);

export const cancelRequestSchema = component(
  z.strictObject({
    requestedBy: nonBlankText(200)
      .optional()
      .describe("Ignored for the record (logged): the cancellation records the ops key's identity"),
    reason: z.string().max(500).optional(),
  }),
  { id: 'CancelRequest', examples: [{ reason: 'customer_closed_account' }] },
);

export const resumeRequestSchema = component(
  z.strictObject({
    requestedBy: nonBlankText(200)
      .optional()
      .describe("Ignored for the record (logged): the resume records the ops key's identity"),
    note: z.string().max(2000).optional(),
  }),
  { id: 'ResumeRequest', examples: [{ note: 'Ondato credentials rotated' }] },
);

export type StartOnboardingRequest = z.output<typeof startOnboardingRequestSchema>;
export type RetryOnboardingRequest = z.output<typeof retryOnboardingRequestSchema>;
export type ReverificationRequest = z.output<typeof reverificationRequestSchema>;
export type ResumeRequest = z.output<typeof resumeRequestSchema>;

/** Fails to compile when the validated body stops fitting the workflow input (e.g. a renamed timeout). */
type Assignable<T extends U, U> = T;
export type _StartFitsWorkflowInput = Assignable<StartOnboardingRequest, OnboardingInput>;
export type _TimeoutsFitWorkflow = Assignable<
  NonNullable<StartOnboardingRequest['timeouts']>,
  Partial<OnboardingTimeouts>
>;
/** The body plus the ops key's identity (the route adds it) must fit what the workflow takes. */
export type _ResumeFitsWorkflow = Assignable<ResumeRequest & { requestedBy: string }, ResumeInput>;

// ---- responses ----

const stage = z.enum(STAGES);
const outcome = z.enum(OUTCOMES);

export const onboardingLinkSchema = component(
  z.object({
    workflowId: z.string(),
    runId: z.string(),
    created: z
      .boolean()
      .describe('true when this call started the run (201), false when it joined a running one (200)'),
    stage,
    customerUrl: z
      .string()
      .nullable()
      .describe(
        'The Ondato page the customer opens; null while not ready yet (202), and when the run took over a finished verification (resumedFromKycId)',
      ),
    idvId: z.string().nullable(),
    outcome: outcome.optional(),
    resumedFromKycId: z
      .string()
      .optional()
      .describe(
        "Present when the run took over the finished verification of the customer's earlier run: the customer has nothing to do",
      ),
  }),
  {
    id: 'OnboardingLink',
    examples: [
      {
        workflowId: 'onboarding-c-42',
        runId: '0195d7a0-8c4b-7d5e-9b1c-3f2a1e4d5c6b',
        created: true,
        stage: 'awaiting_customer',
        customerUrl: 'https://idv.ondato.com/?id=5a1f0c1e-7d7b-4bb0-9d0a-2b6f3c1e9a11',
        idvId: '5a1f0c1e-7d7b-4bb0-9d0a-2b6f3c1e9a11',
      },
    ],
  },
);
export type OnboardingLink = z.output<typeof onboardingLinkSchema>;

export const WORKFLOW_STATUSES = [
  'RUNNING',
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'TERMINATED',
  'TIMED_OUT',
  'CONTINUED_AS_NEW',
  'UNKNOWN',
] as const;

const storedDocument = z.object({
  key: z.string(),
  sha256: z.string(),
  bytes: z.number(),
  contentType: z.string(),
  fileId: z.string(),
  part: z.string().optional(),
  fileType: z.string().optional(),
});

/** Failure types and Ondato's codes only: never Ondato's free text. */
const attentionSchema = z.object({
  reason: z.string().describe('The failure type of the step that gave up, e.g. OndatoAuthFailed'),
  step: stage.optional().describe('The stage whose step failed: the run resumes there'),
  message: z.string().optional().describe("The service's own failure message: ids and status codes"),
  ondatoStatus: z.number().int().optional(),
  ondatoReason: z.string().optional().describe("Ondato's reason code"),
  since: z.string().optional(),
  retryAt: z.string().optional().describe('When the run retries by itself if nobody resumes it first'),
});

const resumeRecord = z.object({
  requestedBy: z.string().describe('Who resumed the run; `timer` when it retried by itself'),
  note: z.string().optional(),
  step: stage,
  reason: z.string(),
  at: z.string(),
});

export const onboardingStatusSchema = component(
  z.object({
    customerId: z.string(),
    workflowId: z.string(),
    runId: z.string(),
    status: z.enum(WORKFLOW_STATUSES).describe('The Temporal run status'),
    stage: stage.optional(),
    outcome: outcome.optional(),
    reasons: z.array(z.string()),
    policyVersion: z.string().optional(),
    idvId: z.string().optional(),
    idvStatus: z.string().optional(),
    customerUrl: z.string().optional(),
    customerDeadlineAt: z
      .string()
      .optional()
      .describe('When the customer’s time runs out; a fresh link does not move it'),
    relinkOpenUntil: z
      .string()
      .optional()
      .describe(
        'Present while Ondato has ended the session (idvStatus Expired or Aborted) and the run waits for POST /v1/onboardings/{customerId}/link, until this instant',
      ),
    kycId: z.string().optional(),
    kycStatus: z.string().optional(),
    documents: z.array(storedDocument),
    review: z
      .object({
        reviewerId: z.string(),
        decision: z.enum(['approved', 'rejected']),
        note: z.string().optional(),
        decidedAt: z.string(),
      })
      .optional(),
    timestamps: z.record(z.string(), z.string()),
    webhooksReceived: z.number().optional(),
    lastError: z.string().optional(),
    attention: attentionSchema
      .optional()
      .describe('Present while the run is parked (stage needs_attention): why, and where it resumes'),
    resumes: z
      .array(resumeRecord)
      .optional()
      .describe('Every time the run left needs_attention, oldest first'),
    resumedFromKycId: z
      .string()
      .optional()
      .describe(
        "The KYC identification of the customer's earlier run this run took over (no new verification)",
      ),
    failure: z
      .object({
        type: z.string().optional(),
        stage: stage.optional().describe('The stage the run was in when it failed'),
        message: z.string(),
        ondatoStatus: z.number().int().optional().describe("Ondato's HTTP status, when Ondato refused"),
        ondatoReason: z.string().optional().describe("Ondato's reason code (never its message)"),
      })
      .optional()
      .describe('Why the run failed (status FAILED, TERMINATED, TIMED_OUT, CANCELLED)'),
    partial: z
      .boolean()
      .optional()
      .describe(
        'true when the live state could not be read (no worker answered) and this comes from the run summary',
      ),
  }),
  {
    id: 'OnboardingStatus',
    examples: [
      {
        customerId: 'c-42',
        workflowId: 'onboarding-c-42',
        runId: '0195d7a0-8c4b-7d5e-9b1c-3f2a1e4d5c6b',
        status: 'COMPLETED',
        stage: 'completed',
        outcome: 'approved',
        reasons: ['ondato_approved'],
        policyVersion: '2026-11-26.1',
        idvId: '5a1f0c1e-7d7b-4bb0-9d0a-2b6f3c1e9a11',
        kycId: '9c0d5d52-1a4e-4b0e-8f8e-5c7c0c2b1d3a',
        documents: [],
        timestamps: { startedAt: '2026-11-26T10:00:00.000Z', completedAt: '2026-11-26T10:09:00.000Z' },
        webhooksReceived: 3,
      },
    ],
  },
);
export type OnboardingStatus = z.output<typeof onboardingStatusSchema>;

const FINAL_OUTCOMES = ['approved', 'rejected', 'expired', 'abandoned', 'cancelled'] as const;
export type _FinalOutcomesComplete = Assignable<FinalOutcome, (typeof FINAL_OUTCOMES)[number]>;

/** What the service posts to the product backend (contract/callback-event.ts), documented as the start's callback. */
export const callbackEventSchema = component(
  z.object({
    eventId: z
      .string()
      .describe(
        'Stable across redeliveries of the same event (also the x-onboarding-event-id header): deduplicate on it',
      ),
    type: z.enum(CALLBACK_EVENT_TYPES),
    customerId: z.string(),
    workflowId: z.string(),
    outcome: z.enum(FINAL_OUTCOMES).optional().describe('onboarding.completed: the decision'),
    reasons: z.array(z.string()),
    idvId: z.string().optional(),
    kycId: z.string().optional(),
    attention: z
      .object({ reason: z.string(), step: z.string() })
      .optional()
      .describe(
        'onboarding.needs_attention: the failure type and the stage that failed; the run resumes there',
      ),
    failure: z
      .object({ type: z.string(), stage: z.string() })
      .optional()
      .describe('onboarding.failed: the failure type and the stage the run failed in'),
    reminder: z
      .object({ number: z.number().int().min(1), customerUrl: z.string(), customerUrlValidUntil: z.string() })
      .optional()
      .describe(
        "onboarding.reminder_due: which reminder (its position in the run's list), the customer's current link, and until when it works (the run's customer deadline; Ondato does not say how long its session lives). The eventId names the link's IDV: <workflowId>/<idvId>/onboarding.reminder_due/<number>",
      ),
    reverification: z
      .object({ documentExpiresOn: z.string() })
      .optional()
      .describe(
        "onboarding.reverification_due: the identity document's expiry (YYYY-MM-DD); ask for a re-verification",
      ),
    erasure: z
      .object({ erasureId: z.string() })
      .optional()
      .describe("onboarding.erased: the erasure's id (GET /v1/erasures/{erasureId} for its audit record)"),
    occurredAt: z.string().describe('ISO 8601, when the workflow sent the event'),
  }),
  {
    id: 'CallbackEvent',
    description:
      'Ids and the outcome only, no personal data. Delivered at least once: the same eventId can arrive again (a worker that died after your 2xx, a retry after a timeout).',
    examples: [
      {
        eventId: 'onboarding-c-42/0195d7a0-8c4b-7d5e-9b1c-3f2a1e4d5c6b/onboarding.completed',
        type: 'onboarding.completed',
        customerId: 'c-42',
        workflowId: 'onboarding-c-42',
        outcome: 'approved',
        reasons: ['ondato_approved'],
        idvId: '5a1f0c1e-7d7b-4bb0-9d0a-2b6f3c1e9a11',
        kycId: '9c0d5d52-1a4e-4b0e-8f8e-5c7c0c2b1d3a',
        occurredAt: '2026-11-26T10:09:00.000Z',
      },
    ],
  },
);
/** Fails to compile when the documented event and the one the workflow sends drift apart. */
export type _CallbackEventDocumented = Assignable<CallbackEvent, z.input<typeof callbackEventSchema>>;
export type _CallbackEventComplete = Assignable<z.output<typeof callbackEventSchema>, CallbackEvent>;

export const webhookAckSchema = component(
  z.object({
    status: z.enum(['relayed', 'ignored', 'no_run', 'unroutable']),
    workflowId: z.string().optional(),
  }),
  {
    id: 'WebhookAck',
    description:
      'relayed: signalled to the run; ignored: a type the service does not act on; no_run: no open run (stray or late); unroutable: no id to route by',
    examples: [{ status: 'relayed', workflowId: 'onboarding-c-42' }],
  },
);
export type WebhookAck = z.output<typeof webhookAckSchema>;

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be standard base64');

/** Temporal's codec-server protocol: payloads in proto JSON form, the same shape both ways. */
export const codecPayloadsSchema = component(
  z.object({
    payloads: z
      .array(
        z.object({
          metadata: z.record(z.string(), base64).nullish().describe('metadata key → base64 value'),
          data: base64.nullish().describe('base64'),
        }),
      )
      .max(10_000)
      // The Temporal CLI sends `{}` for an empty list (protobuf JSON omits empty repeated fields).
      .default([]),
  }),
  {
    id: 'CodecPayloads',
    description:
      'Temporal payloads as the codec-server protocol carries them (Temporal UI, `temporal --codec-endpoint`). Encrypted payloads have metadata encoding=binary/encrypted and encryption-key-id.',
    examples: [
      {
        payloads: [
          { metadata: { encoding: 'anNvbi9wbGFpbg==' }, data: 'eyJzdGFnZSI6ImF3YWl0aW5nX2N1c3RvbWVyIn0=' },
        ],
      },
    ],
  },
);
export type CodecPayloads = z.output<typeof codecPayloadsSchema>;

export const errorResponseSchema = component(
  z.object({
    error: z.object({
      code: z.enum(ERROR_CODES),
      message: z.string(),
      details: z
        .unknown()
        .optional()
        .describe('validation_failed: [{ path, message }]; others: safe context'),
    }),
  }),
  {
    id: 'Error',
    examples: [
      {
        error: {
          code: 'validation_failed',
          message: 'The request body is invalid',
          details: [{ path: 'registration.email', message: 'Invalid email address' }],
        },
      },
    ],
  },
);

/**
 * The error shape narrowed to the codes one answer can carry: the OpenAPI document lists them per status, and
 * the contract test holds every real error answer to them.
 */
export function errorResponseFor(codes: readonly [ErrorCode, ...ErrorCode[]]) {
  return z.object({ error: errorResponseSchema.shape.error.extend({ code: z.enum(codes) }) });
}

export const healthSchema = component(
  z.object({
    status: z.enum(['ok', 'unavailable']),
    temporal: z.enum(['reachable', 'unreachable']).optional(),
    /** Why a reachable Temporal is not ready: the namespace or search attributes to create. */
    reason: z.string().optional(),
  }),
  { id: 'Health', examples: [{ status: 'ok', temporal: 'reachable' }] },
);

// ---- the list of onboardings (GET /v1/onboardings) ----

/** A customer id's first characters: the customer id alphabet, so it goes into a visibility query as it is. */
export const CUSTOMER_ID_PREFIX_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;
/** Temporal's page token, base64url: the API hands it out and takes it back without reading it. */
export const PAGE_TOKEN_PATTERN = /^[A-Za-z0-9_-]{1,4096}$/;
export const MAX_LIST_PAGE_SIZE = 100;
export const DEFAULT_LIST_PAGE_SIZE = 20;

const instant = z.iso
  .datetime({ offset: true })
  .describe('An ISO 8601 date-time with Z or an offset, e.g. 2026-11-29T10:00:00Z');

export const listOnboardingsQuerySchema = z.strictObject({
  stage: stage
    .optional()
    .describe('Only runs that last recorded this stage (manual_review: the review queue)'),
  outcome: outcome.optional().describe('Only runs with this outcome'),
  customerIdPrefix: z
    .string()
    .regex(
      CUSTOMER_ID_PREFIX_PATTERN,
      'letters, digits and . _ : - (up to 100, starting with a letter or digit)',
    )
    .optional()
    .describe('Only customers whose id starts with this'),
  startedAfter: instant.optional().describe('Only runs started at or after this instant'),
  startedBefore: instant.optional().describe('Only runs started before this instant'),
  pageSize: z
    .string()
    .regex(/^(?:[1-9]\d?|100)$/, `a whole number from 1 to ${MAX_LIST_PAGE_SIZE}`)
    .optional()
    .describe(`Runs per page, 1 to ${MAX_LIST_PAGE_SIZE} (default ${DEFAULT_LIST_PAGE_SIZE})`),
  nextPageToken: z
    .string()
    .regex(PAGE_TOKEN_PATTERN, 'the nextPageToken of an earlier page, as it was')
    .optional()
    .describe('The nextPageToken of the previous page, with the same filters'),
});
export type ListOnboardingsQuery = z.output<typeof listOnboardingsQuerySchema>;

const onboardingListItemSchema = z.object({
  customerId: z.string(),
  workflowId: z.string(),
  runId: z.string(),
  status: z.enum(WORKFLOW_STATUSES).describe('The Temporal run status'),
  stage: stage.optional().describe('The stage the run last recorded'),
  outcome: outcome.optional(),
  startedAt: z.string(),
  closedAt: z.string().optional(),
  attentionReason: z
    .string()
    .optional()
    .describe('Why a parked run (needs_attention) stopped: a failure type'),
});
export type OnboardingListItem = z.output<typeof onboardingListItemSchema>;

export const onboardingListSchema = component(
  z.object({
    items: z.array(onboardingListItemSchema),
    nextPageToken: z
      .string()
      .nullable()
      .describe('Pass it back (with the same filters) for the next page; null on the last page'),
  }),
  {
    id: 'OnboardingList',
    description:
      "Runs from Temporal's visibility store: ids, stages, outcomes and times, no personal data. Order: running runs first, most recently started first; then closed runs, most recently closed first (Temporal's own order; it cannot sort oldest first).",
    examples: [
      {
        items: [
          {
            customerId: 'c-42',
            workflowId: 'onboarding-c-42',
            runId: '0195d7a0-8c4b-7d5e-9b1c-3f2a1e4d5c6b',
            status: 'RUNNING',
            stage: 'manual_review',
            outcome: 'manual_review',
            startedAt: '2026-11-26T10:00:00.000Z',
          },
        ],
        nextPageToken: null,
      },
    ],
  },
);
export type OnboardingList = z.output<typeof onboardingListSchema>;
