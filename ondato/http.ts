/**
 * HTTP mechanics shared by every Ondato call: one deadline per request combined with the caller's signal,
 * transport failures mapped to `OndatoError` kinds, error bodies parsed leniently, 2xx bodies validated strictly.
 * Nothing here ever puts a header value, a token or a request body into an error message.
 */
import type { z } from 'zod';
import { OndatoError, parseRetryAfter } from './errors';
import { ondatoErrorBodySchema, type OndatoErrorBody } from './schemas';

export type FetchLike = typeof fetch;

type TransportFailure = 'aborted' | 'timeout' | 'network';

/** The signal one request runs under, and which of its two sources fired. */
export class RequestDeadline {
  readonly signal: AbortSignal;

  private constructor(
    private readonly timeoutMs: number,
    private readonly timeoutSignal: AbortSignal,
    private readonly callerSignal: AbortSignal | undefined,
    private readonly disarmTimer: () => void,
  ) {
    this.signal = callerSignal ? AbortSignal.any([timeoutSignal, callerSignal]) : timeoutSignal;
  }

  /** The deadline covers the whole exchange, body included (JSON calls). */
  static wholeRequest(timeoutMs: number, callerSignal?: AbortSignal): RequestDeadline {
    return new RequestDeadline(timeoutMs, AbortSignal.timeout(timeoutMs), callerSignal, () => undefined);
  }

  /**
   * The deadline covers the wait for the response headers only; `disarm()` once they arrived, so a large body
   * may take as long as it needs (the caller's signal still aborts it).
   */
  static untilDisarmed(timeoutMs: number, callerSignal?: AbortSignal): RequestDeadline {
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new DOMException('request timed out', 'TimeoutError')),
      timeoutMs,
    );
    timer.unref();
    return new RequestDeadline(timeoutMs, controller.signal, callerSignal, () => clearTimeout(timer));
  }

  disarm(): void {
    this.disarmTimer();
  }

  /** Called after something failed: the caller's cancellation wins over our timeout, anything else is network. */
  failure(): TransportFailure {
    if (this.callerSignal?.aborted) return 'aborted';
    if (this.timeoutSignal.aborted) return 'timeout';
    return 'network';
  }

  toError(operation: string, cause: unknown): OndatoError {
    if (cause instanceof OndatoError) return cause;
    const kind = this.failure();
    const message =
      kind === 'aborted'
        ? `Ondato ${operation}: cancelled by the caller`
        : kind === 'timeout'
          ? `Ondato ${operation}: no response within ${this.timeoutMs} ms`
          : `Ondato ${operation}: network error${describeCause(cause)}`;
    return new OndatoError(message, { kind, operation, cause });
  }
}

/** A short, secret-free description of a transport error: its code or name, never its request. */
function describeCause(cause: unknown): string {
  const root = cause instanceof Error && cause.cause instanceof Error ? cause.cause : cause;
  if (!(root instanceof Error)) return '';
  const code = (root as Error & { code?: unknown }).code;
  return typeof code === 'string' ? ` (${code})` : ` (${root.name})`;
}

export async function sendRequest(
  fetchImpl: FetchLike,
  operation: string,
  url: string,
  init: Omit<RequestInit, 'signal'>,
  deadline: RequestDeadline,
): Promise<Response> {
  try {
    return await fetchImpl(url, { ...init, signal: deadline.signal });
  } catch (error) {
    throw deadline.toError(operation, error);
  }
}

/** Reads and validates a 2xx JSON body; a mismatch names the first offending field. */
export async function readJsonBody<Schema extends z.ZodType>(
  operation: string,
  response: Response,
  schema: Schema,
  deadline: RequestDeadline,
): Promise<z.output<Schema>> {
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw deadline.toError(operation, error);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw malformed(operation, '(body)', 'the body is not JSON');
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)';
  throw malformed(operation, field, issue?.message ?? 'does not match the schema');
}

export function malformed(operation: string, field: string, detail: string): OndatoError {
  return new OndatoError(`Ondato ${operation}: malformed response at ${field}: ${detail}`, {
    kind: 'malformed_response',
    operation,
    field,
  });
}

const MAX_ERROR_TEXT = 300;
const MAX_REASON_TEXT = 100;

/**
 * Builds the error for a non-2xx answer. Ondato's API answers `{ reason, message, params }`; the token server
 * answers OAuth's `{ error, error_description }`; proxies answer HTML. All are tolerated.
 */
export async function errorFromResponse(
  operation: string,
  response: Response,
  deadline: RequestDeadline,
): Promise<OndatoError> {
  let text = '';
  try {
    text = await response.text();
  } catch (error) {
    // The status is what matters; a body cut off by a timeout or reset adds nothing.
    if (deadline.failure() === 'aborted') return deadline.toError(operation, error);
  }
  const body = parseErrorBody(text);
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
  // The error message ends up in plain text in Temporal history (failure messages are not encrypted) and in
  // logs: it names Ondato's reason code only. Ondato's free-text message can echo submitted values
  // (names, personal codes), so it travels separately (failure details, which the codec encrypts).
  const reason = body.reason?.slice(0, MAX_REASON_TEXT);
  return new OndatoError(
    `Ondato ${operation} failed with HTTP ${response.status}${reason ? ` (${reason})` : ''}`,
    {
      kind: 'http',
      operation,
      status: response.status,
      reason: body.reason,
      ondatoMessage: body.message?.slice(0, MAX_ERROR_TEXT),
      params: body.params,
      retryAfterMs,
    },
  );
}

interface ParsedErrorBody {
  reason?: string;
  message?: string;
  params?: OndatoErrorBody['params'];
}

function parseErrorBody(text: string): ParsedErrorBody {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return {};
  }
  if (typeof json !== 'object' || json === null) return {};
  // Field by field, so one odd field (say, params in another shape) does not hide the reason.
  const body = json as Record<string, unknown>;
  const params = ondatoErrorBodySchema.shape.params.safeParse(body.params);
  return {
    reason: stringOrUndefined(body.reason) ?? stringOrUndefined(body.error),
    message: stringOrUndefined(body.message) ?? stringOrUndefined(body.error_description),
    params: params.success ? params.data : undefined,
  };
}

/** Frees the connection of a response we do not read (e.g. the 401 before a token refresh). */
export async function discardBody(response: Response): Promise<void> {
  try {
    await response.body?.cancel();
  } catch {
    // already closed or errored: nothing to free
  }
}

export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}${path}`;
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
