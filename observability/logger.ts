/**
 * The one structured logger of every process (API, worker, local stack): pino, JSON lines, with redaction as a
 * safety net. The code logs ids, stages and outcomes only; should a registration, a KYC document or a secret
 * ever reach a log call anyway, its fields are replaced by "[redacted]" up to four levels deep, and errors are
 * reduced to name, message and stack (a Temporal failure's `details` can carry Ondato's field messages).
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
  'WEBHOOK_PASSWORD',
  'WEBHOOK_HMAC_SECRET',
  'CALLBACK_SECRET',
  'ONDATO_CLIENT_SECRET',
] as const;

export const REDACTED = '[redacted]';

/** How deep below the top level a field is still found (`a.b.c.firstName` is depth 3). */
const REDACT_DEPTH = 3;

function segment(field: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(field) ? `.${field}` : `["${field}"]`;
}

/** Every field at depth 0..REDACT_DEPTH, in pino's (fast-redact's) path syntax. */
export function redactPaths(fields: readonly string[] = [...PERSONAL_FIELDS, ...SECRET_FIELDS]): string[] {
  const paths: string[] = [];
  for (const field of fields) {
    for (let depth = 0; depth <= REDACT_DEPTH; depth += 1) {
      const prefix = Array.from({ length: depth }, () => '*').join('.');
      const path = `${prefix}${segment(field)}`;
      paths.push(path.startsWith('.') ? path.slice(1) : path);
    }
  }
  return paths;
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
    redact: { paths: redactPaths(), censor: REDACTED },
    serializers: { err: safeError, error: safeError },
  };
  return options.destination ? pino(loggerOptions, options.destination) : pino(loggerOptions);
}
