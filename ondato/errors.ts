/**
 * One error type for everything that can go wrong when talking to Ondato, with the classification the
 * activities need: retryable (429, 408, 5xx, timeouts, resets) or not (other 4xx, malformed bodies).
 */
import type { OndatoErrorBody } from './schemas';

export type OndatoErrorKind =
  | 'http' // Ondato answered with an error status
  | 'network' // connection refused/reset, DNS, TLS
  | 'timeout' // our request timeout fired
  | 'aborted' // the caller's AbortSignal fired
  | 'malformed_response'; // a 2xx whose body does not match the schema

export interface OndatoErrorDetails {
  kind: OndatoErrorKind;
  operation: string;
  status?: number;
  reason?: string;
  /** Ondato's human message; may echo submitted values, so never part of the error message. */
  ondatoMessage?: string;
  params?: OndatoErrorBody['params'];
  retryAfterMs?: number;
  /** For malformed responses: the path of the first offending field, e.g. `step.kycIdentification.id`. */
  field?: string;
  cause?: unknown;
}

export class OndatoError extends Error {
  readonly kind: OndatoErrorKind;
  readonly operation: string;
  readonly status?: number;
  readonly reason?: string;
  readonly ondatoMessage?: string;
  readonly params?: OndatoErrorBody['params'];
  readonly retryAfterMs?: number;
  readonly field?: string;
  readonly retryable: boolean;

  constructor(message: string, details: OndatoErrorDetails) {
    super(message, { cause: details.cause });
    this.name = 'OndatoError';
    this.kind = details.kind;
    this.operation = details.operation;
    this.status = details.status;
    this.reason = details.reason;
    this.ondatoMessage = details.ondatoMessage;
    this.params = details.params;
    this.retryAfterMs = details.retryAfterMs;
    this.field = details.field;
    this.retryable = isRetryable(details);
  }
}

function isRetryable(details: OndatoErrorDetails): boolean {
  switch (details.kind) {
    case 'network':
    case 'timeout':
      return true;
    case 'aborted':
    case 'malformed_response':
      return false;
    case 'http': {
      const status = details.status ?? 0;
      return status === 408 || status === 429 || status >= 500;
    }
  }
}

/** `Retry-After` is either delta-seconds or an HTTP date. */
export function parseRetryAfter(header: string | null, now: number = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
