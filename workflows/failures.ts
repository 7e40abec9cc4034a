/** How the workflow reads activity failures: for the run's own failure, and to tell a 404 from Ondato. */
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import { FailureType, type RunFailureSummary, type Stage } from '../contract';

/**
 * A run that fails because an activity gave up (e.g. Ondato refused the verification) fails with the
 * activity's own failure type at the top, so clients and the UI show `OndatoRequestRejected`, not a wrapper.
 */
export function surfaceActivityFailure(error: unknown): unknown {
  if (!(error instanceof ActivityFailure) || !(error.cause instanceof ApplicationFailure)) return error;
  const cause = error.cause;
  return ApplicationFailure.create({
    type: cause.type ?? undefined,
    message: `${error.activityType} failed: ${cause.message}`,
    nonRetryable: true,
    details: cause.details ? [...cause.details] : undefined,
    cause: error,
  });
}

/** The first detail of an Ondato failure: status, reason code, refused field names (never free text). */
function ondatoDetail(failure: ApplicationFailure): Partial<RunFailureSummary> {
  const detail: unknown = failure.details?.[0];
  if (typeof detail !== 'object' || detail === null) return {};
  const { status, reason, params } = detail as { status?: unknown; reason?: unknown; params?: unknown };
  const fields =
    typeof params === 'object' && params !== null
      ? Object.fromEntries(
          Object.entries(params).map(([field, problems]) => [
            field,
            (Array.isArray(problems) ? problems : []).map((problem: { reason?: unknown }) =>
              typeof problem?.reason === 'string' ? problem.reason : 'invalid',
            ),
          ]),
        )
      : undefined;
  return {
    ondatoStatus: typeof status === 'number' ? status : undefined,
    ondatoReason: typeof reason === 'string' ? reason : undefined,
    ...(fields ? { fields } : {}),
  };
}

export function failureSummary(error: unknown, stage: Stage): RunFailureSummary {
  if (error instanceof ApplicationFailure) {
    return {
      type: error.type ?? 'ApplicationFailure',
      stage,
      message: error.message,
      ...ondatoDetail(error),
    };
  }
  return { type: error instanceof Error ? error.name : 'Error', stage, message: String(error) };
}

/** Ondato answered 404: the resource is gone (e.g. a sandbox session older than 7 days). */
export function isOndatoNotFound(error: unknown): boolean {
  if (!(error instanceof ActivityFailure) || !(error.cause instanceof ApplicationFailure)) return false;
  const detail: unknown = error.cause.details?.[0];
  return (
    error.cause.type === FailureType.OndatoRequestRejected &&
    typeof detail === 'object' &&
    detail !== null &&
    (detail as { status?: unknown }).status === 404
  );
}
