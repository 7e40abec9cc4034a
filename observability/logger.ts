/**
 * The one structured logger of every process (API, worker, local stack): pino, JSON lines, with redaction as a
 * safety net. The code logs ids, stages and outcomes only; should a registration, a KYC document or a secret
 * ever reach a log call anyway, its fields are replaced by "[redacted]" (at any depth up to eight levels), and
 * errors are reduced to name, message and stack (a Temporal failure's `details` can carry Ondato's field
 * messages).
 */
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/** Registration and KYC fields: personal data. */
export const PERSONAL_FIELDS = [
  'registration',
  'firstName',
  'middleName',
  'lastName',
  'fullName',
  'dateOfBirth',
  'email',
  'personalCode',
  'phoneNumber',
  'phone',
  'documentNumber',
  'address',
  'nationality',
] as const;

/** Credentials, wherever they appear (headers, options, config). */
export const SECRET_FIELDS = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'password',
  'passwd',
  'secret',
  'clientSecret',
  'client_secret',
  'token',
  'accessToken',
  'access_token',
  'refreshToken',
  'apiKey',
  'apiKeys',
  'hmacSecret',
  'callbackSecret',
  'codecKey',
  'CODEC_KEYS',
  'CODEC_ENDPOINT_TOKENS',
  'API_KEYS',
  'opsKeys',
  'API_OPS_KEYS',
  'WEBHOOK_PASSWORD',
  'WEBHOOK_HMAC_SECRET',
  'CALLBACK_SECRET',
  'ONDATO_CLIENT_SECRET',
] as const;

export const REDACTED = '[redacted]';

/** How deep into a log object fields are still found (`a.b.c.firstName` is depth 3). */
const MAX_DEPTH = 8;

const SENSITIVE = new Set([...PERSONAL_FIELDS, ...SECRET_FIELDS].map((field) => field.toLowerCase()));

/**
 * The log object with every sensitive field (any depth up to MAX_DEPTH, names compared case-insensitively)
 * replaced by REDACTED and errors reduced to `safeError`. Copy-on-write: the caller's objects are never changed,
 * and an object with nothing to hide is returned as is. One pass over the object, so it costs about what
 * serialising it does (pino's path-based `redact` with wildcards at several depths costs a hundred times more).
 */
export function scrub(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return safeError(value);
  if (depth >= MAX_DEPTH || ArrayBuffer.isView(value)) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item, index) => {
      const scrubbed = scrub(item, depth + 1);
      if (scrubbed !== item) (copy ??= [...value])[index] = scrubbed;
    });
    return copy ?? value;
  }
  const source = value as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(source)) {
    const item = source[key];
    const scrubbed = SENSITIVE.has(key.toLowerCase()) ? REDACTED : scrub(item, depth + 1);
    if (scrubbed !== item) (copy ??= { ...source })[key] = scrubbed;
  }
  return copy ?? value;
}

export interface SafeError {
  type: string;
  message: string;
  /** A Temporal ApplicationFailure's type, or a Node error code. */
  failureType?: string;
  code?: string;
  stack?: string;
}

/** Name, message, type and stack of an error; never its other properties (details, causes, requests). */
export function safeError(error: unknown): SafeError | string {
  if (!(error instanceof Error)) return typeof error === 'string' ? error : String(error);
  const extra = error as Error & { type?: unknown; code?: unknown };
  return {
    type: error.name,
    message: error.message,
    ...(typeof extra.type === 'string' ? { failureType: extra.type } : {}),
    ...(typeof extra.code === 'string' ? { code: extra.code } : {}),
    ...(error.stack ? { stack: error.stack } : {}),
  };
}

function reduceErrors(value: unknown): unknown {
  return value instanceof Error ? safeError(value) : value;
}

export interface CreateLoggerOptions {
  level: LoggerOptions['level'];
  /** The `service` field of every line. */
  service?: string;
  /** Where lines go; stdout by default. Tests pass a capturing stream. */
  destination?: DestinationStream;
}

export function createLogger(options: CreateLoggerOptions): Logger {
  const loggerOptions: LoggerOptions = {
    level: options.level,
    base: options.service ? { service: options.service } : undefined,
    // Every line's fields. (Not the bindings of `child()` loggers, which pino fixes at creation: bind ids and
    // component names only.)
    formatters: { log: (object) => scrub(object) as Record<string, unknown> },
    // Errors under these keys are reduced; anything else there (already reduced, or a string) is left as is.
    serializers: { err: reduceErrors, error: reduceErrors },
  };
  return options.destination ? pino(loggerOptions, options.destination) : pino(loggerOptions);
}
