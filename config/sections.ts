/** The typed sections of the configuration, one per part of the service (resolved in config/index.ts). */
import type { KeyRing } from '../codec/keys';
import type { CallbackTargets } from './callback-targets';
import type { Env } from './env';

export type LogLevel = Env['LOG_LEVEL'];

/** TLS to Temporal: file paths, read by the connection factory (composition/connection.ts). */
export interface TemporalTlsSettings {
  caFile?: string;
  clientCertFile?: string;
  clientKeyFile?: string;
  serverName?: string;
}

export interface TemporalSettings {
  address: string;
  namespace: string;
  /** Absent: plaintext (the local dev server). */
  tls?: TemporalTlsSettings;
  apiKey?: string;
  /** Deadline of the first call of a connection (client and worker). */
  connectTimeoutMs: number;
  taskQueue: string;
  /** The local dev server (`npm start`): its SQLite file and Web UI port. */
  devServer: { dbFile: string; uiPort: number };
  worker: {
    shutdownGraceMs: number;
    /** A pre-built workflow bundle (`npm run build`); bundled at start when absent. */
    bundlePath?: string;
    maxCachedWorkflows: number;
    versioning: WorkerVersioningSettings;
  };
}

/** Worker Versioning: `buildId` is only the configured one; composition/worker-versioning.ts derives a default. */
export interface WorkerVersioningSettings {
  enabled: boolean;
  deploymentName: string;
  buildId?: string;
}

export interface WebhookSettings {
  username: string;
  password: string;
  hmacSecret?: string;
  ipAllowList: string[];
  trustProxy: boolean;
  signatureToleranceSeconds: number;
  /** A webhook without externalReferenceId whose run is not visible yet gets 503 while younger than this. */
  visibilityGraceMs: number;
}

export interface ApiSettings {
  host: string;
  port: number;
  /** The API's URL as browsers see it (the Temporal UI calls the codec endpoint from the browser). */
  publicUrl: string;
  keys: string[];
  /** Keys of ops tooling (resume); never also product keys. */
  opsKeys: string[];
  bodyLimit: string;
  startWaitMs: number;
  temporalTimeoutMs: number;
  /** How long the first answer to an Idempotency-Key is kept and replayed. */
  idempotencyTtlMs: number;
  webhooks: WebhookSettings;
}

export interface OndatoHosts {
  tokenUrl: string;
  idvApiUrl: string;
  kycApiUrl: string;
  webFlowUrl: string;
}

export interface OndatoSettings {
  environment: Env['ONDATO_ENV'];
  usesSimulator: boolean;
  hosts: OndatoHosts;
  clientId: string;
  clientSecret: string;
  scope?: string;
  setupId: string;
  requestTimeoutMs: number;
  /** How long 401-after-refresh and 403 answers are retried before an activity gives up. */
  authRetryWindowMs: number;
}

export interface SimulatorSettings {
  host: string;
  port: number;
  publicUrl?: string;
  /** Where the simulator delivers webhooks: this service's receiver unless configured otherwise. */
  webhookUrl: string;
  webhookTimeScale: number;
  documentBytes: number;
  tokenLifetimeSeconds: number;
  /** The JSON file that keeps the simulator's sessions across restarts; absent = in memory only. */
  stateFile?: string;
}

/**
 * Who may call the codec endpoint: holders of a CODEC_ENDPOINT_TOKENS token; anyone (`open`) when no token is
 * configured and the simulator is in use (the local stack's Temporal UI sends no credentials); nobody
 * (`disabled`) when no token is configured with real Ondato.
 */
export type CodecEndpointAccess = 'tokens' | 'open' | 'disabled';

export interface CodecSettings {
  keyRing: KeyRing;
  endpointAccess: CodecEndpointAccess;
  endpointTokens: string[];
  corsOrigins: string[];
}

/** Bucket-side encryption, on top of the service's own envelope encryption. */
export type S3ServerSideEncryption = { mode: 'none' } | { mode: 'sse-s3' } | { mode: 'sse-c'; key: Buffer };

export interface S3DocumentSettings {
  bucket: string;
  /** Empty, or ends with `/`. */
  prefix: string;
  endpoint?: string;
  region: string;
  forcePathStyle: boolean;
  /** Absent: the AWS SDK's default credential chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  serverSideEncryption: S3ServerSideEncryption;
  partSizeBytes: number;
  queueSize: number;
}

export interface DocumentSettings {
  store: Env['DOCUMENT_STORE'];
  dir: string;
  /** Present when store is `s3`. */
  s3?: S3DocumentSettings;
}

export interface CallbackSettings {
  /** Used when an onboarding names no callback URL; no callback is sent when neither exists. */
  defaultUrl?: string;
  secret: string;
  /** Where callbacks may go: CALLBACK_URL and CALLBACK_ALLOWED_URLS; private addresses only when allowed. */
  targets: CallbackTargets;
}

/** Tracing (observability/tracing.ts): on only when an OTLP endpoint is configured. */
export interface TracingSettings {
  otlpEndpoint?: string;
  /** Overrides the process's own service name. */
  serviceName?: string;
}

/** The worker's metrics endpoints; an absent port is not served. */
export interface WorkerMetricsSettings {
  host: string;
  /** Service counters and process metrics (/metrics). */
  port?: number;
  /** The Temporal runtime's Prometheus exporter (temporal_* metrics). */
  temporalPort?: number;
}

export interface ObservabilitySettings {
  tracing: TracingSettings;
  workerMetrics: WorkerMetricsSettings;
}

/** The review console (api/console): sessions, the optional SSO header, the audit log, the Temporal UI link. */
export interface ConsoleSettings {
  /** HMAC key of session cookies and CSRF tokens. */
  sessionSecret: Buffer;
  /** True when the secret was generated at start: sessions end with the process and do not span replicas. */
  sessionSecretGenerated: boolean;
  sessionIdleMs: number;
  /** `Secure` cookies: the API's public URL is https. */
  secureCookies: boolean;
  /** Lower-case header name; believed only from `trustedProxies`. */
  trustedIdentityHeader?: string;
  trustedProxies: string[];
  auditLog: { target: 'log' } | { target: 'file'; path: string };
  temporalUiUrl: string;
}

/** Aftercare and erasure (workflows/aftercare.ts reads it through an activity): periods in milliseconds. */
export interface LifecycleSettings {
  reverificationLeadMs: number;
  /** Retention per closed outcome; absent: never erased by retention. */
  retentionMs: { approved?: number; rejected?: number; unfinished?: number };
}

export interface AppConfig {
  nodeEnv: Env['NODE_ENV'];
  logLevel: LogLevel;
  temporal: TemporalSettings;
  api: ApiSettings;
  ondato: OndatoSettings;
  simulator: SimulatorSettings;
  codec: CodecSettings;
  documents: DocumentSettings;
  callbacks: CallbackSettings;
  observability: ObservabilitySettings;
  console: ConsoleSettings;
  lifecycle: LifecycleSettings;
}
