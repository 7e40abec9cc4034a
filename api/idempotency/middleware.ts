/**
 * The `Idempotency-Key` handling that `route()` puts in front of the handler of every keyed POST
 * (./operation.ts says which): after authentication and body parsing, so the key is scoped to the caller's
 * identity and the fingerprint covers the parsed body.
 *
 * The first request with a key claims it and runs; its answer is kept before it is sent (when final), so a
 * client that got an answer always gets the same one on a retry, from any replica sharing the store.
 */
import type { Application, Request, RequestHandler, Response } from 'express';
import { callerOf } from '../auth';
import { ApiError } from '../errors';
import type { Operation } from '../route-spec';
import { fingerprintOf, recordNameOf } from './fingerprint';
import type { Claim, IdempotencyLedger, StoredAnswer } from './ledger';
import { IDEMPOTENCY_KEY_HEADER, IDEMPOTENT_REPLAYED_HEADER, idempotencyKeySchema } from './operation';

const LEDGER = 'idempotencyLedger';

/** Makes the ledger available to the keyed routes of `app` (createApp does this). */
export function provideIdempotencyLedger(app: Application, ledger: IdempotencyLedger): void {
  app.locals[LEDGER] = ledger;
}

function ledgerOf(req: Request): IdempotencyLedger {
  const ledger: unknown = req.app.locals[LEDGER];
  if (!ledger)
    throw new Error('no idempotency ledger: build the app with createApp (provideIdempotencyLedger)');
  return ledger as IdempotencyLedger;
}

/** Headers a caller acts on, as first sent; the rest (length, date, request id) belong to each answer itself. */
const KEPT_HEADERS = ['Content-Type', 'Location'] as const;

/**
 * Final answers only: a 202 (not done yet), a 5xx (ambiguous or failed) or a 429 would freeze an intermediate
 * state; a repeat of those requests must ask again.
 */
export function isFinalAnswer(status: number): boolean {
  return status >= 200 && status < 500 && status !== 202 && status !== 408 && status !== 429;
}

function toBuffer(chunk: unknown, encoding: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk);
  return Buffer.from(String(chunk), typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
}

/** Holds the end of the answer until the ledger kept it (or gave the key back). */
function settleOnEnd(res: Response, ledger: IdempotencyLedger, claim: Claim): void {
  const chunks: Buffer[] = [];
  const write = res.write.bind(res) as (...args: unknown[]) => boolean;
  const end = res.end.bind(res) as (...args: unknown[]) => Response;
  let ending = false;
  res.write = ((...args: unknown[]) => {
    if (args[0] !== undefined && typeof args[0] !== 'function') chunks.push(toBuffer(args[0], args[1]));
    return write(...args);
  }) as Response['write'];
  res.end = ((...args: unknown[]) => {
    if (ending) return end(...args);
    ending = true;
    if (args[0] !== undefined && args[0] !== null && typeof args[0] !== 'function')
      chunks.push(toBuffer(args[0], args[1]));
    const answer: StoredAnswer | undefined = isFinalAnswer(res.statusCode)
      ? {
          status: res.statusCode,
          headers: Object.fromEntries(
            KEPT_HEADERS.flatMap((name) => {
              const value = res.getHeader(name);
              return value === undefined ? [] : [[name, String(value)]];
            }),
          ),
          body: Buffer.concat(chunks).toString('base64'),
        }
      : undefined;
    void ledger.settle(claim, answer).finally(() => end(...args));
    return res;
  }) as Response['end'];
  // A caller that goes away does not stop the handler: its answer still ends here and is kept for the retry,
  // which meanwhile hears 409 rather than running twice. A handler that never answers frees the key at its lease.
}

function replay(res: Response, answer: StoredAnswer): void {
  const body = Buffer.from(answer.body, 'base64');
  res.status(answer.status);
  for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
  res.setHeader(IDEMPOTENT_REPLAYED_HEADER, 'true');
  res.setHeader('Content-Length', String(body.length));
  res.end(body);
}

export function idempotencyKeyHandling(operation: Pick<Operation, 'path'>): RequestHandler {
  return async (req, res, next) => {
    const raw = req.get(IDEMPOTENCY_KEY_HEADER);
    if (raw === undefined) {
      next();
      return;
    }
    const key = idempotencyKeySchema.safeParse(raw);
    if (!key.success) {
      throw new ApiError(
        400,
        'invalid_idempotency_key',
        `The ${IDEMPOTENCY_KEY_HEADER} header must be 1-255 printable ASCII characters`,
      );
    }
    const ledger = ledgerOf(req);
    const { identity } = callerOf(res);
    const name = recordNameOf({ identity, method: req.method, routePath: operation.path }, key.data);
    const fingerprint = fingerprintOf({ identity, method: req.method, url: req.originalUrl, body: req.body });
    let result;
    try {
      result = await ledger.claim(name, fingerprint);
    } catch (error) {
      ledger.logger.warn(
        { reqId: req.id, err: { name: (error as Error)?.name, message: (error as Error)?.message } },
        'idempotency store unavailable',
      );
      throw new ApiError(
        503,
        'idempotency_store_unavailable',
        'The store of idempotency keys is unavailable; retry later',
        undefined,
        { 'Retry-After': '1' },
      );
    }
    switch (result.kind) {
      case 'claimed':
        settleOnEnd(res, ledger, result.claim);
        next();
        return;
      case 'replay':
        ledger.logger.info({ reqId: req.id, status: result.answer.status }, 'idempotent replay');
        replay(res, result.answer);
        return;
      case 'reused':
        throw new ApiError(
          422,
          'idempotency_key_reused',
          `This ${IDEMPOTENCY_KEY_HEADER} was already used for another request (another body or path); use a new key`,
        );
      case 'in_flight':
        throw new ApiError(
          409,
          'idempotency_key_in_flight',
          `A request with this ${IDEMPOTENCY_KEY_HEADER} is still running; retry shortly`,
          undefined,
          { 'Retry-After': String(result.retryAfterSeconds) },
        );
    }
  };
}
