/**
 * Turns Ondato client errors into Temporal failures whose type and retryability follow the failure policy
 * (README, "Failures"): our request is wrong → not retried; credentials refused → retried for a bounded window;
 * Ondato unavailable or malformed → retried with backoff.
 */
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../contract';
import { OndatoError } from '../ondato/errors';

export interface OndatoFailurePolicy {
  /** How long credential refusals are retried, counted from the activity's first attempt. */
  authRetryWindowMs: number;
}

/** 401/403 from the APIs, or the token endpoint refusing the client (OAuth2 answers 400/401 for that). */
function isAuthRefusal(error: OndatoError): boolean {
  if (error.kind !== 'http') return false;
  if (error.status === 401 || error.status === 403) return true;
  return error.operation === 'token' && error.status === 400;
}

export function toActivityFailure(
  error: unknown,
  policy: OndatoFailurePolicy,
  elapsedSinceFirstAttemptMs: number,
): unknown {
  if (!(error instanceof OndatoError)) return error;
  const details = [
    {
      operation: error.operation,
      kind: error.kind,
      status: error.status,
      reason: error.reason,
      field: error.field,
    },
  ];
  if (error.kind === 'malformed_response') {
    return ApplicationFailure.create({
      message: error.message,
      type: FailureType.OndatoMalformedResponse,
      details,
    });
  }
  if (isAuthRefusal(error)) {
    const windowLeft = elapsedSinceFirstAttemptMs < policy.authRetryWindowMs;
    return ApplicationFailure.create({
      message: windowLeft
        ? error.message
        : `${error.message} (still refused after ${Math.round(elapsedSinceFirstAttemptMs / 1000)} s of retries)`,
      type: FailureType.OndatoAuthFailed,
      nonRetryable: !windowLeft,
      details,
    });
  }
  if (!error.retryable) {
    return ApplicationFailure.create({
      message: error.message,
      type: FailureType.OndatoRequestRejected,
      nonRetryable: true,
      // Details are payloads, encrypted by the codec; the message stays free of submitted values.
      details: [{ ...details[0], params: error.params, ondatoMessage: error.ondatoMessage }],
    });
  }
  return ApplicationFailure.create({
    message: error.message,
    type: FailureType.OndatoUnavailable,
    details,
    // Honour Retry-After; otherwise the activity's backoff applies.
    nextRetryDelay: error.retryAfterMs,
  });
}

/** Runs an Ondato call, translating its errors by the policy. */
export async function callOndato<T>(
  call: () => Promise<T>,
  policy: OndatoFailurePolicy,
  elapsedSinceFirstAttemptMs: () => number,
): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toActivityFailure(error, policy, elapsedSinceFirstAttemptMs());
  }
}
