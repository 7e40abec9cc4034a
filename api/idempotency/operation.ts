/**
 * Which operations take an `Idempotency-Key`, and what that adds to their documentation. Every POST whose
 * caller is identified by a bearer key (a product backend's or an ops key) takes one: the key is scoped to that
 * identity. POSTs without such a caller are left out: Ondato's webhook relay (Ondato sends no key and is
 * deduplicated by delivery id in the run), the codec endpoint (a pure transformation whose answers are decrypted
 * payloads, which must not be kept), and the review console's cookie-session forms (CSRF-protected pages).
 */
import { z } from 'zod';
import type { Operation, OperationSecurity, ResponseSpec } from '../route-spec';
import type { ErrorCode } from '../errors';

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
export const IDEMPOTENT_REPLAYED_HEADER = 'Idempotent-Replayed';

/** 1–255 printable ASCII characters (a UUID is the usual choice). */
export const idempotencyKeySchema = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[\x21-\x7e][\x20-\x7e]*$/, '1-255 printable ASCII characters');

const KEYED_SECURITY: ReadonlySet<OperationSecurity> = new Set(['apiKey', 'opsKey', 'apiKeyOrOpsKey']);

export function takesIdempotencyKey(operation: Pick<Operation, 'method' | 'security'>): boolean {
  return operation.method === 'post' && KEYED_SECURITY.has(operation.security);
}

const HEADER_DESCRIPTION =
  `Optional. Makes a retry of this request safe: a request with the same key (from the same key identity, to ` +
  `the same route) within its lifetime (IDEMPOTENCY_TTL_HOURS, 24 h by default) answers with the first answer, byte for byte, and the header ` +
  `\`${IDEMPOTENT_REPLAYED_HEADER}: true\`, without running again. The same key with another body or path is ` +
  `refused (422); while the first request is still running, 409 with Retry-After. Only final answers are ` +
  `kept (2xx other than 202, and 4xx); a 202, 5xx or 503 is not, so repeating the request asks again. Stored ` +
  `without the request (its SHA-256 only), the answer encrypted at rest.`;

/** The header parameter as documented: the same rule the middleware enforces. */
export function idempotencyHeaderParams(): z.ZodObject {
  return z.object({
    [IDEMPOTENCY_KEY_HEADER]: idempotencyKeySchema.optional().meta({ description: HEADER_DESCRIPTION }),
  });
}

/** Adds `codes` to the error answer of `status`, or declares it; `also` says when the new codes happen. */
function withCodes(
  responses: Operation['responses'],
  status: number,
  codes: readonly [ErrorCode, ...ErrorCode[]],
  fresh: ResponseSpec,
  also: string,
): void {
  const existing = responses[status];
  if (!existing) {
    responses[status] = {
      ...fresh,
      description: fresh.description[0].toUpperCase() + fresh.description.slice(1),
    };
    return;
  }
  if (!existing.errors) {
    throw new Error(`status ${status} is not an error answer: it cannot also carry ${codes.join(', ')}`);
  }
  responses[status] = {
    ...existing,
    description: `${existing.description}; or ${also}`,
    errors: [...existing.errors, ...codes.filter((code) => !existing.errors?.includes(code))] as [
      ErrorCode,
      ...ErrorCode[],
    ],
  };
}

/** The operation as the document shows it: its own answers plus those of the key (400, 409, 422, 503). */
export function withIdempotencyKey(operation: Operation): Operation {
  if (!takesIdempotencyKey(operation)) return operation;
  const responses = { ...operation.responses };
  const invalid = 'the Idempotency-Key header is not 1-255 printable ASCII characters';
  withCodes(
    responses,
    400,
    ['invalid_idempotency_key'],
    { description: invalid, errors: ['invalid_idempotency_key'] },
    invalid,
  );
  const inFlight =
    'a request with the same Idempotency-Key is still running (retry after Retry-After seconds)';
  withCodes(
    responses,
    409,
    ['idempotency_key_in_flight'],
    { description: inFlight, errors: ['idempotency_key_in_flight'], headers: ['Retry-After'] },
    inFlight,
  );
  const reused =
    'the Idempotency-Key was used for another request (another body or path) within its lifetime';
  withCodes(
    responses,
    422,
    ['idempotency_key_reused'],
    { description: reused, errors: ['idempotency_key_reused'] },
    reused,
  );
  const storeDown = 'the store of idempotency keys is unreachable (retry later)';
  withCodes(
    responses,
    503,
    ['idempotency_store_unavailable'],
    { description: storeDown, errors: ['idempotency_store_unavailable'], headers: ['Retry-After'] },
    storeDown,
  );
  return {
    ...operation,
    headers: idempotencyHeaderParams(),
    responses,
  };
}
