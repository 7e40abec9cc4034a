/**
 * The service's configuration: the environment parsed by one zod schema (env.ts), checked, and resolved into
 * one typed section per part of the service. Entry points call `loadConfig()`; every other module receives the
 * sections it needs, never raw variable names.
 */
import { KeyRing } from '../codec/keys';
import { keysOf } from './api-keys';
import { checkConsole, resolveConsole } from './console';
import { DEV_DEFAULTS, envSchema, ONDATO_HOST_PRESETS, type Env } from './env';
import type {
  AppConfig,
  CodecSettings,
  DocumentSettings,
  OndatoHosts,
  TemporalTlsSettings,
} from './sections';

export { DEV_CODEC_KEY_ID, DEV_DEFAULTS, envSchema, ONDATO_HOST_PRESETS, type Env } from './env';
export type * from './sections';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** A wildcard bind address is not somewhere to send requests to. */
function reachableHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

function resolveOndatoHosts(env: Env): OndatoHosts {
  const simulatorUrl = `http://${env.SIMULATOR_HOST}:${env.SIMULATOR_PORT}`;
  const preset =
    env.ONDATO_ENV === 'simulator'
      ? {
          tokenUrl: `${simulatorUrl}/connect/token`,
          idvApiUrl: simulatorUrl,
          kycApiUrl: simulatorUrl,
          // The customer's browser opens this one, so it uses the simulator's public address when it has one.
          webFlowUrl: `${(env.SIMULATOR_PUBLIC_URL ?? simulatorUrl).replace(/\/+$/, '')}/idv`,
        }
      : ONDATO_HOST_PRESETS[env.ONDATO_ENV];
  const kycApiUrl = env.ONDATO_KYC_API_URL ?? preset.kycApiUrl;
  if (!kycApiUrl) {
    throw new ConfigError([
      `ONDATO_KYC_API_URL: required when ONDATO_ENV=${env.ONDATO_ENV} (no published default)`,
    ]);
  }
  return {
    tokenUrl: env.ONDATO_TOKEN_URL ?? preset.tokenUrl,
    idvApiUrl: env.ONDATO_IDV_API_URL ?? preset.idvApiUrl,
    kycApiUrl,
    webFlowUrl: env.ONDATO_WEB_FLOW_URL ?? preset.webFlowUrl,
  };
}

/** Real Ondato must never run on the development credentials baked in for the local stack. */
function checkProductionSecrets(env: Env): string[] {
  if (env.ONDATO_ENV === 'simulator') return [];
  const problems: string[] = [];
  const mustDiffer: Array<[keyof Env, string]> = [
    ['ONDATO_CLIENT_ID', DEV_DEFAULTS.ondatoClientId],
    ['ONDATO_CLIENT_SECRET', DEV_DEFAULTS.ondatoClientSecret],
    ['ONDATO_SETUP_ID', DEV_DEFAULTS.ondatoSetupId],
    ['WEBHOOK_PASSWORD', DEV_DEFAULTS.webhookPassword],
    ['CALLBACK_SECRET', DEV_DEFAULTS.callbackSecret],
  ];
  for (const [name, devValue] of mustDiffer) {
    if (env[name] === devValue)
      problems.push(`${name}: must be set explicitly when ONDATO_ENV=${env.ONDATO_ENV}`);
  }
  if (keysOf(env.API_KEYS).includes(DEV_DEFAULTS.apiKey)) {
    problems.push(`API_KEYS: the development key must not be used when ONDATO_ENV=${env.ONDATO_ENV}`);
  }
  if (keysOf(env.API_OPS_KEYS).includes(DEV_DEFAULTS.opsKey)) {
    problems.push(`API_OPS_KEYS: the development key must not be used when ONDATO_ENV=${env.ONDATO_ENV}`);
  }
  const devKey = Buffer.from(DEV_DEFAULTS.codecKey, 'base64');
  if (env.CODEC_KEYS.some((entry) => entry.key.equals(devKey))) {
    problems.push(`CODEC_KEYS: the development key must not be used when ONDATO_ENV=${env.ONDATO_ENV}`);
  }
  return problems;
}

/** Listed with the other problems, so one start names every variable to fix. */
function checkOndatoHosts(env: Env): string[] {
  try {
    resolveOndatoHosts(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

/** TLS files come as pairs, and an API key never travels in plaintext. */
function checkTemporalTls(env: Env): string[] {
  const problems: string[] = [];
  if (Boolean(env.TEMPORAL_TLS_CERT_FILE) !== Boolean(env.TEMPORAL_TLS_KEY_FILE)) {
    problems.push('TEMPORAL_TLS_CERT_FILE, TEMPORAL_TLS_KEY_FILE: set both (mTLS) or neither');
  }
  if (
    env.TEMPORAL_TLS === false &&
    (env.TEMPORAL_API_KEY || env.TEMPORAL_TLS_CA_FILE || env.TEMPORAL_TLS_CERT_FILE)
  ) {
    problems.push('TEMPORAL_TLS: cannot be false while TEMPORAL_API_KEY or TEMPORAL_TLS_* files are set');
  }
  return problems;
}

function resolveTemporalTls(env: Env): TemporalTlsSettings | undefined {
  const implied = Boolean(env.TEMPORAL_API_KEY || env.TEMPORAL_TLS_CA_FILE || env.TEMPORAL_TLS_CERT_FILE);
  if (!(env.TEMPORAL_TLS ?? implied)) return undefined;
  return {
    caFile: env.TEMPORAL_TLS_CA_FILE,
    clientCertFile: env.TEMPORAL_TLS_CERT_FILE,
    clientKeyFile: env.TEMPORAL_TLS_KEY_FILE,
    serverName: env.TEMPORAL_TLS_SERVER_NAME,
  };
}

/** The S3 store names its bucket; credentials and the SSE-C key come whole. */
function checkDocumentStore(env: Env): string[] {
  const problems: string[] = [];
  if (env.DOCUMENT_STORE === 's3' && !env.DOCUMENT_S3_BUCKET) {
    problems.push('DOCUMENT_S3_BUCKET: required when DOCUMENT_STORE=s3');
  }
  if (Boolean(env.DOCUMENT_S3_ACCESS_KEY_ID) !== Boolean(env.DOCUMENT_S3_SECRET_ACCESS_KEY)) {
    problems.push('DOCUMENT_S3_ACCESS_KEY_ID, DOCUMENT_S3_SECRET_ACCESS_KEY: set both or neither');
  }
  if (env.DOCUMENT_S3_SSE === 'sse-c' && !env.DOCUMENT_S3_SSE_C_KEY) {
    problems.push('DOCUMENT_S3_SSE_C_KEY: required when DOCUMENT_S3_SSE=sse-c');
  }
  return problems;
}

function resolveDocuments(env: Env): DocumentSettings {
  const settings: DocumentSettings = { store: env.DOCUMENT_STORE, dir: env.DOCUMENT_DIR };
  if (env.DOCUMENT_STORE !== 's3' || !env.DOCUMENT_S3_BUCKET) return settings;
  const prefix = env.DOCUMENT_S3_PREFIX ?? '';
  const sseKey = env.DOCUMENT_S3_SSE_C_KEY;
  settings.s3 = {
    bucket: env.DOCUMENT_S3_BUCKET,
    prefix: prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`,
    endpoint: env.DOCUMENT_S3_ENDPOINT,
    region: env.DOCUMENT_S3_REGION,
    forcePathStyle: env.DOCUMENT_S3_FORCE_PATH_STYLE,
    credentials:
      env.DOCUMENT_S3_ACCESS_KEY_ID && env.DOCUMENT_S3_SECRET_ACCESS_KEY
        ? { accessKeyId: env.DOCUMENT_S3_ACCESS_KEY_ID, secretAccessKey: env.DOCUMENT_S3_SECRET_ACCESS_KEY }
        : undefined,
    serverSideEncryption:
      env.DOCUMENT_S3_SSE === 'sse-c' && sseKey
        ? { mode: 'sse-c', key: Buffer.from(sseKey, 'base64') }
        : { mode: env.DOCUMENT_S3_SSE === 'sse-s3' ? 'sse-s3' : 'none' },
    partSizeBytes: env.DOCUMENT_S3_PART_SIZE_MB * 1024 * 1024,
    queueSize: env.DOCUMENT_S3_UPLOAD_QUEUE_SIZE,
  };
  return settings;
}

/** An ops key that is also a product key would let every product backend repair runs. */
function checkKeySeparation(env: Env): string[] {
  const productKeys = keysOf(env.API_KEYS);
  const shared = keysOf(env.API_OPS_KEYS).filter((key) => productKeys.includes(key));
  return shared.length > 0 ? ['API_OPS_KEYS: a key must not also be one of API_KEYS'] : [];
}

function resolveCodec(env: Env, usesSimulator: boolean): CodecSettings {
  const ids = env.CODEC_KEYS.map((entry) => entry.id);
  let activeKeyId = env.CODEC_ACTIVE_KEY_ID;
  if (activeKeyId === undefined) {
    if (ids.length > 1) {
      throw new ConfigError([
        `CODEC_ACTIVE_KEY_ID: required when CODEC_KEYS holds several keys (${ids.join(', ')})`,
      ]);
    }
    activeKeyId = ids[0];
  } else if (!ids.includes(activeKeyId)) {
    throw new ConfigError([
      `CODEC_ACTIVE_KEY_ID: "${activeKeyId}" is not one of the CODEC_KEYS ids (${ids.join(', ')})`,
    ]);
  }
  const tokens = env.CODEC_ENDPOINT_TOKENS;
  return {
    keyRing: new KeyRing(env.CODEC_KEYS, activeKeyId),
    endpointAccess: tokens.length > 0 ? 'tokens' : usesSimulator ? 'open' : 'disabled',
    endpointTokens: tokens,
    corsOrigins: env.CODEC_CORS_ORIGINS ?? [
      `http://127.0.0.1:${env.TEMPORAL_UI_PORT}`,
      `http://localhost:${env.TEMPORAL_UI_PORT}`,
    ],
  };
}

function resolveSections(env: Env): AppConfig {
  const usesSimulator = env.ONDATO_ENV === 'simulator';
  const apiUrl = `http://${reachableHost(env.API_HOST)}:${env.API_PORT}`;
  return {
    nodeEnv: env.NODE_ENV,
    logLevel: env.LOG_LEVEL,
    temporal: {
      address: env.TEMPORAL_ADDRESS,
      tls: resolveTemporalTls(env),
      apiKey: env.TEMPORAL_API_KEY,
      connectTimeoutMs: env.TEMPORAL_CONNECT_TIMEOUT_MS,
      namespace: env.TEMPORAL_NAMESPACE,
      taskQueue: env.TEMPORAL_TASK_QUEUE,
      devServer: { dbFile: env.TEMPORAL_DB_FILE, uiPort: env.TEMPORAL_UI_PORT },
      worker: {
        shutdownGraceMs: env.WORKER_SHUTDOWN_GRACE_MS,
        bundlePath: env.WORKFLOW_BUNDLE_PATH,
        maxCachedWorkflows: env.WORKER_MAX_CACHED_WORKFLOWS,
        versioning: {
          enabled: env.TEMPORAL_WORKER_VERSIONING === 'on',
          deploymentName: env.TEMPORAL_DEPLOYMENT_NAME,
          buildId: env.TEMPORAL_BUILD_ID,
        },
      },
    },
    api: {
      host: env.API_HOST,
      port: env.API_PORT,
      publicUrl: env.API_PUBLIC_URL ?? apiUrl,
      keys: env.API_KEYS,
      opsKeys: env.API_OPS_KEYS,
      bodyLimit: env.API_BODY_LIMIT,
      startWaitMs: env.API_START_WAIT_MS,
      temporalTimeoutMs: env.API_TEMPORAL_TIMEOUT_MS,
      idempotencyTtlMs: Math.round(env.IDEMPOTENCY_TTL_HOURS * 60 * 60_000),
      webhooks: {
        username: env.WEBHOOK_USERNAME,
        password: env.WEBHOOK_PASSWORD,
        hmacSecret: env.WEBHOOK_HMAC_SECRET,
        ipAllowList: env.WEBHOOK_IP_ALLOWLIST,
        trustProxy: env.WEBHOOK_TRUST_PROXY,
        signatureToleranceSeconds: env.WEBHOOK_SIGNATURE_TOLERANCE_S,
        visibilityGraceMs: env.WEBHOOK_VISIBILITY_GRACE_MS,
      },
    },
    ondato: {
      environment: env.ONDATO_ENV,
      usesSimulator,
      hosts: resolveOndatoHosts(env),
      clientId: env.ONDATO_CLIENT_ID,
      clientSecret: env.ONDATO_CLIENT_SECRET,
      scope: env.ONDATO_SCOPE,
      setupId: env.ONDATO_SETUP_ID,
      requestTimeoutMs: env.ONDATO_REQUEST_TIMEOUT_MS,
      authRetryWindowMs: env.ONDATO_AUTH_RETRY_WINDOW_MS,
    },
    simulator: {
      host: env.SIMULATOR_HOST,
      port: env.SIMULATOR_PORT,
      publicUrl: env.SIMULATOR_PUBLIC_URL,
      webhookUrl: env.SIMULATOR_WEBHOOK_URL ?? `${apiUrl}/webhooks/ondato`,
      webhookTimeScale: env.SIMULATOR_WEBHOOK_TIME_SCALE,
      documentBytes: env.SIMULATOR_DOCUMENT_BYTES,
      tokenLifetimeSeconds: env.SIMULATOR_TOKEN_LIFETIME_SECONDS,
      stateFile: env.SIMULATOR_STATE_FILE === 'none' ? undefined : env.SIMULATOR_STATE_FILE,
    },
    codec: resolveCodec(env, usesSimulator),
    documents: resolveDocuments(env),
    callbacks: {
      defaultUrl: env.CALLBACK_URL,
      secret: env.CALLBACK_SECRET,
      targets: {
        allowed: [...(env.CALLBACK_URL ? [env.CALLBACK_URL] : []), ...env.CALLBACK_ALLOWED_URLS],
        allowPrivateAddresses: env.CALLBACK_ALLOW_PRIVATE_TARGETS,
      },
    },
    lifecycle: {
      reverificationLeadMs: env.REVERIFICATION_LEAD,
      retentionMs: {
        ...(env.RETENTION_APPROVED !== null ? { approved: env.RETENTION_APPROVED } : {}),
        ...(env.RETENTION_REJECTED !== null ? { rejected: env.RETENTION_REJECTED } : {}),
        ...(env.RETENTION_UNFINISHED !== null ? { unfinished: env.RETENTION_UNFINISHED } : {}),
      },
    },
    observability: {
      tracing: { otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: env.OTEL_SERVICE_NAME },
      workerMetrics: {
        host: env.WORKER_METRICS_HOST,
        port: env.WORKER_METRICS_PORT,
        temporalPort: env.WORKER_TEMPORAL_METRICS_PORT,
      },
    },
    console: resolveConsole(env, env.API_PUBLIC_URL ?? apiUrl),
  };
}

export function loadConfig(source: NodeJS.ProcessEnv = process.env): AppConfig {
  // `FOO=` in a .env file or `${FOO:-}` in compose means "not set", not "set to an empty string".
  const present = Object.fromEntries(
    Object.entries(source).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  const problems = [
    ...checkKeySeparation(parsed.data),
    ...checkTemporalTls(parsed.data),
    ...checkDocumentStore(parsed.data),
    ...checkProductionSecrets(parsed.data),
    ...checkOndatoHosts(parsed.data),
    ...checkConsole(parsed.data),
  ];
  if (problems.length > 0) throw new ConfigError(problems);
  return resolveSections(parsed.data);
}
