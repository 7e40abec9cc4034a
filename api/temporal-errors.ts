/**
 * Reads Temporal client errors: is Temporal unreachable (answer 503, the caller retries), is the run missing,
 * and why did a run fail (for the client, without personal data; a start's run that failed is a 502).
 */
import {
  ApplicationFailure,
  isGrpcServiceError,
  TemporalFailure,
  WorkflowFailedError,
  WorkflowNotFoundError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { FailureType, type RunFailureSummary } from '../contract';
import { ApiError } from './errors';
import { compact } from './run-view';

/** gRPC status codes (stable numbers of the gRPC spec; @grpc/grpc-js is not a direct dependency). */
const GrpcStatus = {
  CANCELLED: 1,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  RESOURCE_EXHAUSTED: 8,
  UNAVAILABLE: 14,
} as const;

/** Codes that mean "the service did not answer in time or at all", not "the service said no". */
const UNAVAILABLE_CODES = new Set<number>([
  GrpcStatus.UNAVAILABLE,
  GrpcStatus.DEADLINE_EXCEEDED,
  GrpcStatus.CANCELLED,
  GrpcStatus.RESOURCE_EXHAUSTED,
]);

function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let current = error; current !== undefined && current !== null && chain.length < 10;) {
    chain.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  return chain;
}

export function isTemporalUnavailable(error: unknown): boolean {
  return causes(error).some(
    (cause) =>
      cause instanceof WorkflowUpdateRPCTimeoutOrCancelledError ||
      (isGrpcServiceError(cause) && UNAVAILABLE_CODES.has(cause.code)) ||
      // Before a first connection exists the client throws plain errors with a gRPC-like code.
      (typeof (cause as { code?: unknown }).code === 'number' &&
        UNAVAILABLE_CODES.has((cause as { code: number }).code)),
  );
}

export function isWorkflowNotFound(error: unknown): boolean {
  return (
    error instanceof WorkflowNotFoundError ||
    causes(error).some((cause) => isGrpcServiceError(cause) && cause.code === GrpcStatus.NOT_FOUND)
  );
}

export function temporalUnavailable(): ApiError {
  return new ApiError(
    503,
    'temporal_unavailable',
    'The workflow service is unavailable; retry later',
    undefined,
    {
      'Retry-After': '5',
    },
  );
}

/**
 * The run holds as many signals as Temporal allows one run (`history.maximumSignalsPerExecution`, 10,000 by
 * default). The server says so with INVALID_ARGUMENT and this message; no other signal refusal carries it.
 */
export function isSignalLimitReached(error: unknown): boolean {
  return causes(error).some(
    (cause) =>
      typeof (cause as { code?: unknown }).code === 'number' &&
      (cause as { code: number }).code === GrpcStatus.INVALID_ARGUMENT &&
      /limit for signal events/i.test(
        String((cause as { details?: unknown }).details ?? (cause as Error).message),
      ),
  );
}

/**
 * A webhook for a run at its signal cap: 503, so Ondato redelivers later. A retry reaches the run once it
 * continued as new (fresh count); until then the run's own polling catches up with Ondato, and a run that
 * closes meanwhile turns the redelivery into a 2xx `no_run`.
 */
export function runSignalLimit(workflowId: string): ApiError {
  return new ApiError(
    503,
    'run_signal_limit',
    'The run has taken as many signals as Temporal allows; redeliver later',
    { workflowId },
    { 'Retry-After': '60' },
  );
}

/** Rethrows as a 503 when Temporal is unreachable; otherwise passes the error on unchanged. */
export function rethrowIfUnavailable(error: unknown): never {
  throw isTemporalUnavailable(error) ? temporalUnavailable() : error;
}

/** The innermost ApplicationFailure in a failure chain: the activity's own classification. */
export function rootApplicationFailure(error: unknown): ApplicationFailure | undefined {
  let found: ApplicationFailure | undefined;
  for (const cause of causes(error)) if (cause instanceof ApplicationFailure) found = cause;
  return found;
}

/** Ondato's answer to a refused request, as the activity recorded it: reasons and field names, never values. */
export interface OndatoRejection {
  status?: number;
  reason?: string;
  fields?: Record<string, string[]>;
}

function ondatoRejection(failure: ApplicationFailure): OndatoRejection {
  const detail = (failure.details?.[0] ?? {}) as {
    status?: unknown;
    reason?: unknown;
    params?: Record<string, Array<{ reason?: unknown }>> | null;
  };
  const fields =
    detail.params && typeof detail.params === 'object'
      ? Object.fromEntries(
          Object.entries(detail.params).map(([field, problems]) => [
            field,
            (Array.isArray(problems) ? problems : []).map((problem) => String(problem?.reason ?? 'invalid')),
          ]),
        )
      : undefined;
  return {
    status: typeof detail.status === 'number' ? detail.status : undefined,
    reason: typeof detail.reason === 'string' ? detail.reason : undefined,
    ...(fields ? { fields } : {}),
  };
}

export interface RunFailure {
  type?: string;
  message: string;
  /** Ondato's status and reason code, from any activity failure that recorded them. */
  ondatoStatus?: number;
  ondatoReason?: string;
  /** Present when Ondato refused our request: its status, reason and the names of the fields it refused. */
  ondato?: OndatoRejection;
}

/**
 * Why a closed run did not complete. Ondato refusals are summarised from their structured details (Ondato's
 * own message can echo submitted values); other messages come from our code and carry ids only.
 */
export function describeRunFailure(error: unknown): RunFailure {
  const application = rootApplicationFailure(error);
  if (application) {
    const rejection = ondatoRejection(application);
    const codes = { ondatoStatus: rejection.status, ondatoReason: rejection.reason };
    if (application.type === FailureType.OndatoRequestRejected) {
      return { type: application.type, message: 'Ondato refused the request', ...codes, ondato: rejection };
    }
    return { type: application.type ?? undefined, message: application.message, ...codes };
  }
  const temporal = causes(error).find(
    (cause) => cause instanceof TemporalFailure && !(cause instanceof WorkflowFailedError),
  );
  if (temporal instanceof Error) return { type: temporal.name, message: temporal.message };
  return { message: error instanceof Error ? error.message : 'the run did not complete' };
}

/** Why a start's run failed before a link existed, from the run's own summary or read from its result. */
export type StartFailure = Partial<Omit<RunFailureSummary, 'message'>> & { message: string };

/** The 502 of such a start: Ondato's status, reason code and refused field names, never its free text. */
export function failedStart(workflowId: string, runId: string, failure: StartFailure): ApiError {
  if (failure.type === FailureType.OndatoRequestRejected) {
    return new ApiError(
      502,
      'ondato_rejected',
      'Ondato refused to create the verification',
      compact({
        workflowId,
        runId,
        status: failure.ondatoStatus,
        reason: failure.ondatoReason,
        fields: failure.fields,
      }),
    );
  }
  return new ApiError(502, 'onboarding_failed', 'The onboarding failed before a customer URL existed', {
    workflowId,
    runId,
    failure: compact({
      type: failure.type,
      stage: failure.stage,
      message: failure.message,
      ondatoStatus: failure.ondatoStatus,
      ondatoReason: failure.ondatoReason,
    }),
  });
}
