/**
 * One error shape for every answer that is not a success: `{ error: { code, message, details? } }`. Codes are
 * part of the API contract (clients switch on them); messages are for humans and may change. Nothing here ever
 * sends a stack trace or a request body back.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';

export const ERROR_CODES = [
  'validation_failed',
  'malformed_json',
  'payload_too_large',
  'unsupported_media_type',
  'unauthorized',
  'forbidden',
  'not_found',
  'onboarding_completed',
  'onboarding_running',
  'onboarding_approved',
  'no_review_pending',
  'already_decided',
  'not_parked',
  'ondato_rejected',
  'onboarding_failed',
  'temporal_unavailable',
  'run_not_visible_yet',
  'run_signal_limit',
  'payload_undecryptable',
  'legal_hold',
  'erasure_in_progress',
  'relink_not_possible',
  'onboarding_not_approved',
  'invalid_idempotency_key',
  'idempotency_key_reused',
  'idempotency_key_in_flight',
  'idempotency_store_unavailable',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Field-level problems of a rejected request body: `path` is dotted (`registration.email`). */
export interface FieldProblem {
  path: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    /** Extra response headers, e.g. `WWW-Authenticate` on a 401. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function fieldProblems(error: z.ZodError): FieldProblem[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(body)',
    message: issue.message,
  }));
}

/** Parses `input` or throws a 400 that lists every field problem. */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  input: unknown,
  what = 'request body',
): z.output<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new ApiError(400, 'validation_failed', `The ${what} is invalid`, fieldProblems(parsed.error));
  }
  return parsed.data;
}

interface BodyParserError {
  type: string;
  status?: number;
}

function isBodyParserError(error: unknown): error is BodyParserError {
  return (
    typeof error === 'object' && error !== null && typeof (error as { type?: unknown }).type === 'string'
  );
}

/** Errors raised by express' body parsers, mapped to stable codes (their messages can echo the body). */
function fromBodyParser(error: BodyParserError): ApiError | undefined {
  switch (error.type) {
    case 'entity.too.large':
      return new ApiError(413, 'payload_too_large', 'The request body is too large');
    case 'entity.parse.failed':
      return new ApiError(400, 'malformed_json', 'The request body is not valid JSON');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new ApiError(415, 'unsupported_media_type', 'The request body encoding is not supported');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new ApiError(400, 'validation_failed', 'The request body could not be read');
    default:
      return undefined;
  }
}

export function sendError(res: Parameters<RequestHandler>[1], error: ApiError): void {
  // Read by the request log line (api/logging.ts): the code, never the message.
  res.locals.errorCode = error.code;
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  res.status(error.status).json({
    error: {
      code: error.code,
      message: error.message,
      ...(error.details === undefined ? {} : { details: error.details }),
    },
  });
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new ApiError(404, 'not_found', `No route for ${req.method} ${req.path}`));
};

/** The last middleware: everything thrown or passed to `next` ends here as the one JSON error shape. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const known =
      error instanceof ApiError
        ? error
        : error instanceof z.ZodError
          ? new ApiError(400, 'validation_failed', 'The request is invalid', fieldProblems(error))
          : isBodyParserError(error)
            ? fromBodyParser(error)
            : undefined;
    if (known) {
      sendError(res, known);
      return;
    }
    // Unexpected: log what went wrong (no body, no headers), answer without internals.
    logger.error(
      { reqId: req.id, err: { name: (error as Error)?.name, message: (error as Error)?.message } },
      'unhandled error',
    );
    sendError(res, new ApiError(500, 'internal', 'Internal server error'));
  };
}
