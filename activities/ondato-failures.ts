/** Turns Ondato client errors into Temporal failures whose retryability and type follow the error taxonomy. */
import { ApplicationFailure } from '@temporalio/common';
import { OndatoError } from '../ondato/errors';
import { FailureType } from '../contract';

export function toActivityFailure(error: unknown): unknown {
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

/** Runs an Ondato call, translating its errors. */
export async function callOndato<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toActivityFailure(error);
  }
}
