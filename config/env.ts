/**
 * Every environment variable the service reads, in one zod schema. config/index.ts parses process.env with it
 * (the only place that reads process.env) and resolves it into the typed sections everything else receives.
 *
 * The defaults are the embedded local stack (`npm start`): the Ondato simulator on loopback, development
 * credentials. Pointing ONDATO_ENV at `sandbox` or `production` switches to real Ondato, and then the
 * credentials must be given explicitly.
 */
import { z } from 'zod';
import { codecKeysSchema, keyIdSchema } from '../codec/keys';
import { allowListEntryProblem } from './callback-targets';

const csv = z.string().transform((value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0),
);

const port = z.coerce.number().int().min(0).max(65535);
const positiveMs = z.coerce.number().int().positive();
const optionalUrl = z.url().optional();
const flag = z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1');

const DAY_MS = 24 * 60 * 60 * 1000;
const DURATION_UNIT_MS = { s: 1000, m: 60_000, h: 60 * 60_000, d: DAY_MS } as const;
/** `30d`, `12h`, `90m`, `45s`; a plain number is days. Lifecycle periods, so seconds are for tests. */
const duration = z
  .string()
  .regex(/^\d+(\.\d+)?[smhd]?$/, 'a duration such as 30d, 12h, 90m or 45s (a plain number is days)')
  .transform((value) => {
    const unit = /[smhd]$/.test(value) ? (value.slice(-1) as keyof typeof DURATION_UNIT_MS) : 'd';
    return Math.round(Number.parseFloat(value) * DURATION_UNIT_MS[unit]);
  });
/** A duration, or `off` (or 0): never. Parsed to milliseconds, null for never (undefined would take the default). */
const durationOrOff = z
  .union([z.literal('off'), duration])
  .transform((value) => (value === 'off' || value === 0 ? null : value));

export const ONDATO_HOST_PRESETS = {
  production: {
    tokenUrl: 'https://id.ondato.com/connect/token',
    idvApiUrl: 'https://idvapi.ondato.com',
    kycApiUrl: 'https://kycid.ondato.com',
    webFlowUrl: 'https://idv.ondato.com',
  },
  sandbox: {
    tokenUrl: 'https://sandbox-id.ondato.com/connect/token',
    idvApiUrl: 'https://sandbox-idvapi.ondato.com',
    // Ondato publishes no sandbox host for the KYC API: set ONDATO_KYC_API_URL when using the sandbox.
    kycApiUrl: undefined,
    webFlowUrl: 'https://sandbox-idv.ondato.com',
  },
} as const;

export const DEV_DEFAULTS = {
  apiKey: 'dev-api-key',
  opsKey: 'dev-ops-key',
  ondatoClientId: 'simulator-client',
  ondatoClientSecret: 'simulator-secret',
  ondatoSetupId: '00000000-0000-4000-8000-000000000001',
  webhookUsername: 'ondato',
  webhookPassword: 'dev-webhook-password',
  callbackSecret: 'dev-callback-secret',
  codecKey: 'ZGV2LWNvZGVjLWtleS1kZXYtY29kZWMta2V5LWRldi0=',
} as const;

/** The id of the development key (DEV_DEFAULTS.codecKey) in the default CODEC_KEYS. */
export const DEV_CODEC_KEY_ID = 'dev';

export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),

  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('ondato-onboarding'),
  TEMPORAL_UI_PORT: port.default(8233),
  TEMPORAL_DB_FILE: z.string().min(1).default('.data/temporal.sqlite'),
  /** TLS to Temporal; default: on when any TEMPORAL_TLS_* file or TEMPORAL_API_KEY is set. */
  TEMPORAL_TLS: flag.optional(),
  /** PEM CA bundle that signs the server's certificate; unset: the system's roots. */
  TEMPORAL_TLS_CA_FILE: z.string().min(1).optional(),
  /** PEM client certificate and its key for mTLS (both or neither). */
  TEMPORAL_TLS_CERT_FILE: z.string().min(1).optional(),
  TEMPORAL_TLS_KEY_FILE: z.string().min(1).optional(),
  /** The name to expect in the server's certificate when it differs from TEMPORAL_ADDRESS's host. */
  TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
  /** Temporal Cloud API key (sent as a bearer token; needs TLS). */
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  /** How long a process waits for Temporal to answer its first call (a blackholed TLS handshake never ends). */
  TEMPORAL_CONNECT_TIMEOUT_MS: positiveMs.default(30_000),
  WORKER_SHUTDOWN_GRACE_MS: positiveMs.default(30_000),
  WORKFLOW_BUNDLE_PATH: z.string().optional(),
  /** Workflow runs the worker keeps in memory (bench: ~0.5 MiB each; 10,000 waiting runs took 1.5 GiB at the SDK default). */
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().nonnegative().default(250),
  /**
   * Worker Versioning (docs/deploys.md): `on` pins every run to the build that started it. Off by default: with
   * it on, new runs wait until a build is made current (`npm run rollout`).
   */
  TEMPORAL_WORKER_VERSIONING: z.enum(['on', 'off']).default('off'),
  /** The worker deployment this worker belongs to (one per service and task queue). */
  TEMPORAL_DEPLOYMENT_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,255}$/, 'letters, digits, _ and - only')
    .default('ondato-onboarding'),
  /** This worker's build id; default: `<package version>-<git revision>` (a checkout without git must set it). */
  TEMPORAL_BUILD_ID: z
    .string()
    .regex(/^[A-Za-z0-9_.+-]{1,255}$/, 'letters, digits, _ . + and - only')
    .optional(),

  /** The worker's own /metrics (service counters and process metrics); unset: not served. */
  WORKER_METRICS_PORT: port.optional(),
  /** The Temporal runtime's Prometheus exporter in the worker (temporal_* metrics); unset: off. */
  WORKER_TEMPORAL_METRICS_PORT: port.optional(),
  /** Where both worker metrics ports listen (0.0.0.0 in a container scraped from outside). */
  WORKER_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  /** OTLP/HTTP base URL (spans go to `<url>/v1/traces`); unset: no tracing at all. */
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl,
  /** The `service.name` of the spans; default: onboarding-api or onboarding-worker. */
  OTEL_SERVICE_NAME: z.string().min(1).optional(),

  API_HOST: z.string().min(1).default('127.0.0.1'),
  API_PORT: port.default(3000),
  API_PUBLIC_URL: optionalUrl,
  API_KEYS: csv.default([DEV_DEFAULTS.apiKey]),
  /** Bearer keys of ops tooling: the routes that repair runs (resume) need one of these, not an API key. */
  API_OPS_KEYS: csv.default([DEV_DEFAULTS.opsKey]),
  API_BODY_LIMIT: z.string().default('100kb'),
  /** How long POST /v1/onboardings waits for the customer URL before answering 202 (run started, URL pending). */
  API_START_WAIT_MS: positiveMs.default(10_000),
  /** Deadline of the API's other Temporal calls; past it the API answers 503 (webhooks: Ondato redelivers). */
  API_TEMPORAL_TIMEOUT_MS: positiveMs.default(5_000),
  /** How long the first answer to an Idempotency-Key is replayed; after it, the same key runs again. */
  IDEMPOTENCY_TTL_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 30)
    .default(24),

  ONDATO_ENV: z.enum(['simulator', 'sandbox', 'production']).default('simulator'),
  ONDATO_TOKEN_URL: optionalUrl,
  ONDATO_IDV_API_URL: optionalUrl,
  ONDATO_KYC_API_URL: optionalUrl,
  ONDATO_WEB_FLOW_URL: optionalUrl,
  ONDATO_CLIENT_ID: z.string().min(1).default(DEV_DEFAULTS.ondatoClientId),
  ONDATO_CLIENT_SECRET: z.string().min(1).default(DEV_DEFAULTS.ondatoClientSecret),
  ONDATO_SCOPE: z.string().optional(),
  ONDATO_SETUP_ID: z.uuid().default(DEV_DEFAULTS.ondatoSetupId),
  ONDATO_REQUEST_TIMEOUT_MS: positiveMs.default(15_000),
  /** How long credential refusals (401 after a fresh token, 403) are retried before a run parks or fails. */
  ONDATO_AUTH_RETRY_WINDOW_MS: positiveMs.default(30 * 60_000),

  SIMULATOR_HOST: z.string().min(1).default('127.0.0.1'),
  SIMULATOR_PORT: port.default(4010),
  /** Where the simulator sends webhooks; default: this service's receiver at API_HOST:API_PORT. */
  SIMULATOR_WEBHOOK_URL: optionalUrl,
  /** 1 = Ondato's real retry schedule (10 s, 30 s, 1 m, ...); 0.01 makes it 100 times faster. */
  SIMULATOR_WEBHOOK_TIME_SCALE: z.coerce.number().positive().default(1),
  /** Size of every document image the simulator serves. */
  SIMULATOR_DOCUMENT_BYTES: z.coerce.number().int().nonnegative().default(1_500_000),
  SIMULATOR_TOKEN_LIFETIME_SECONDS: z.coerce.number().positive().default(3600),
  /** The simulator's URL as clients see it, when it differs from http://SIMULATOR_HOST:SIMULATOR_PORT. */
  SIMULATOR_PUBLIC_URL: optionalUrl,
  /** The JSON file that keeps the simulator's sessions across restarts; `none` keeps them in memory only. */
  SIMULATOR_STATE_FILE: z.string().min(1).default('.data/simulator.json'),

  WEBHOOK_USERNAME: z.string().min(1).default(DEV_DEFAULTS.webhookUsername),
  WEBHOOK_PASSWORD: z.string().min(1).default(DEV_DEFAULTS.webhookPassword),
  WEBHOOK_HMAC_SECRET: z.string().min(1).optional(),
  WEBHOOK_IP_ALLOWLIST: csv.default([]),
  WEBHOOK_TRUST_PROXY: flag.default(false),
  /** How far an `Ondato-Signature` timestamp may be from now, in seconds. */
  WEBHOOK_SIGNATURE_TOLERANCE_S: z.coerce.number().int().positive().default(300),
  /** A webhook without externalReferenceId whose run is not visible yet gets 503 while younger than this. */
  WEBHOOK_VISIBILITY_GRACE_MS: positiveMs.default(5 * 60_000),

  CALLBACK_URL: optionalUrl,
  CALLBACK_SECRET: z.string().min(1).default(DEV_DEFAULTS.callbackSecret),
  /** Hosts or URL prefixes callbacks may go to, besides CALLBACK_URL (config/callback-targets.ts). */
  CALLBACK_ALLOWED_URLS: csv.default([]).superRefine((entries, ctx) => {
    for (const entry of entries) {
      const problem = allowListEntryProblem(entry);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }
  }),
  CALLBACK_ALLOW_PRIVATE_TARGETS: flag.default(false),

  /** How long before the identity document expires `onboarding.reverification_due` is sent (a duration). */
  REVERIFICATION_LEAD: duration.default(30 * DAY_MS),
  /** Retention after an approved onboarding closed, then its data is erased; `off`: kept until erased on request. */
  RETENTION_APPROVED: durationOrOff.default(5 * 365 * DAY_MS),
  RETENTION_REJECTED: durationOrOff.default(365 * DAY_MS),
  /** After an onboarding that ended expired, abandoned or cancelled. */
  RETENTION_UNFINISHED: durationOrOff.default(90 * DAY_MS),

  /** `local`: files under DOCUMENT_DIR; `s3`: an S3-compatible bucket (DOCUMENT_S3_*). Both encrypt with CODEC_KEYS. */
  DOCUMENT_STORE: z.enum(['local', 's3']).default('local'),
  DOCUMENT_DIR: z.string().min(1).default('.data/documents'),
  /** Required when DOCUMENT_STORE=s3. */
  DOCUMENT_S3_BUCKET: z.string().min(1).optional(),
  /** Prepended to every object key, e.g. `onboarding/` (a missing trailing slash is added). */
  DOCUMENT_S3_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._\-/]*$/, 'letters, digits, . _ - and / only')
    .refine((prefix) => !prefix.split('/').includes('..'), 'no .. segments')
    .optional(),
  /** An S3-compatible server (SeaweedFS, MinIO, ...); unset: AWS S3 in DOCUMENT_S3_REGION. */
  DOCUMENT_S3_ENDPOINT: optionalUrl,
  DOCUMENT_S3_REGION: z.string().min(1).default('us-east-1'),
  /** Path-style URLs (`endpoint/bucket/key`), which most S3-compatible servers need. */
  DOCUMENT_S3_FORCE_PATH_STYLE: flag.default(false),
  /** Static credentials (both or neither); unset: the AWS SDK's default chain (AWS_* variables, roles). */
  DOCUMENT_S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  DOCUMENT_S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  /** Bucket-side encryption on top of the service's own: `sse-s3` (AES256) or `sse-c` (DOCUMENT_S3_SSE_C_KEY). */
  DOCUMENT_S3_SSE: z.enum(['none', 'sse-s3', 'sse-c']).default('none'),
  /** The SSE-C key: base64 of 32 bytes. Every read needs it too: losing it loses the documents. */
  DOCUMENT_S3_SSE_C_KEY: z
    .string()
    .refine((value) => Buffer.from(value, 'base64').length === 32, 'base64 of exactly 32 bytes')
    .optional(),
  /** Multipart part size; memory per upload is about part size x (queue size + 1). */
  DOCUMENT_S3_PART_SIZE_MB: z.coerce.number().int().min(5).max(512).default(8),
  /** Parts of one upload in flight at once. */
  DOCUMENT_S3_UPLOAD_QUEUE_SIZE: z.coerce.number().int().min(1).max(16).default(2),

  /**
   * Encryption keys of Temporal payloads and stored documents: `<id>:<base64 of 32 bytes>,...`. Keep old keys
   * listed while anything encrypted with them may still be read (running workflows, stored documents).
   */
  CODEC_KEYS: codecKeysSchema.prefault(`${DEV_CODEC_KEY_ID}:${DEV_DEFAULTS.codecKey}`),
  /** The key that encrypts new data; required when CODEC_KEYS holds more than one key. */
  CODEC_ACTIVE_KEY_ID: keyIdSchema.optional(),
  /** Bearer tokens for the codec endpoint (/codec/encode, /codec/decode) that lets the Temporal UI decrypt. */
  CODEC_ENDPOINT_TOKENS: csv
    .pipe(z.array(z.string().min(16, 'each token needs at least 16 characters')))
    .default([]),
  /** Browser origins (the Temporal UI) allowed to call the codec endpoint; default: the local UI. */
  CODEC_CORS_ORIGINS: csv
    .pipe(z.array(z.string().regex(/^https?:\/\/[^/\s*]+$/, 'an origin is scheme://host[:port], no path')))
    .optional(),

  /** HMAC key of the review console's session cookies (32+ characters); unset: random per process. */
  CONSOLE_SESSION_SECRET: z.string().min(32, 'at least 32 characters').optional(),
  /** A console session ends after this many minutes without a request (and after 12 hours in any case). */
  CONSOLE_SESSION_IDLE_MINUTES: z.coerce.number().int().min(1).max(720).default(30),
  /** A header carrying the reviewer's identity, set by a trusted SSO proxy (CONSOLE_TRUSTED_PROXIES). */
  CONSOLE_TRUSTED_IDENTITY_HEADER: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,64}$/, 'a header name: letters, digits and -')
    .transform((name) => name.toLowerCase())
    .optional(),
  /** Addresses or CIDR ranges of the SSO proxy whose identity header the console believes. */
  CONSOLE_TRUSTED_PROXIES: csv.default([]),
  /** Where the console's audit lines go: `log` (the service log, stdout) or a file path (appended). */
  CONSOLE_AUDIT_LOG: z.string().min(1).default('log'),
  /** The Temporal Web UI as reviewers' browsers reach it; default: the dev server's UI on TEMPORAL_UI_PORT. */
  CONSOLE_TEMPORAL_UI_URL: optionalUrl,
});

export type Env = z.infer<typeof envSchema>;
