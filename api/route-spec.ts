/**
 * A route declares its operation once, next to its handler: method, path, summary, auth, path parameters, body,
 * and every status it can answer with the schema and error codes of each. `route()` registers the handlers
 * under that declaration, and the OpenAPI document (./openapi/document.ts) is generated from the declarations;
 * test/api/openapi.test.ts fails on a registered route without one, or a declaration without its route.
 */
import type { RequestHandler, Router } from 'express';
import type { z } from 'zod';
import type { ZodOpenApiCallbacksObject } from 'zod-openapi';
import type { ErrorCode } from './errors';
import { idempotencyKeyHandling } from './idempotency/middleware';
import { takesIdempotencyKey } from './idempotency/operation';

export type HttpMethod = 'get' | 'post' | 'put' | 'delete' | 'options';
export type OperationTag = 'Onboardings' | 'Webhooks' | 'Codec' | 'Operations';
/**
 * The security schemes of the document; `none` for open routes. `apiKey`: a product backend's key only;
 * `opsKey`: an ops key only; `apiKeyOrOpsKey`: either (reads).
 */
export type OperationSecurity =
  'apiKey' | 'opsKey' | 'apiKeyOrOpsKey' | 'webhookBasic' | 'codecToken' | 'none';
/** Response headers the document describes (./openapi/document.ts); a declared one is always sent. */
export type ResponseHeader = 'Location' | 'Retry-After';

export interface ResponseSpec {
  description: string;
  /** A JSON body of this schema. */
  body?: z.ZodType;
  /** An error answer: the one error shape (`{ error: { code, message, details? } }`) with one of these codes. */
  errors?: readonly [ErrorCode, ...ErrorCode[]];
  /** A body that is not JSON: its media types. No `body`, `errors` or `media`: no body at all. */
  media?: readonly string[];
  headers?: readonly ResponseHeader[];
}

export interface Operation {
  method: HttpMethod;
  /** The express path, e.g. `/v1/onboardings/:customerId`; the document writes `{customerId}`. */
  path: string;
  summary: string;
  description?: string;
  tag: OperationTag;
  security: OperationSecurity;
  /** One field per `:name` in the path (checked when the route is registered). */
  params?: z.ZodObject;
  /** The query string's parameters (all strings as sent). */
  query?: z.ZodObject;
  /** Request headers the document describes (the Idempotency-Key of keyed POSTs is added by itself). */
  headers?: z.ZodObject;
  /** A JSON request body. */
  body?: { schema: z.ZodType; description?: string };
  /** Every status the route can answer (bar a 500 `internal`, which no caller can act on). */
  responses: Record<number, ResponseSpec>;
  /** Requests the service makes later because of this one (the product backend's callback). */
  callbacks?: ZodOpenApiCallbacksObject;
}

/** A module's operations by name; the names are for the module's own `route()` calls. */
export type Operations = Record<string, Operation>;

function pathParamNames(path: string): string[] {
  return [...path.matchAll(/:(\w+)/g)].map((match) => match[1]).sort();
}

/**
 * Registers `handlers` for the declared method and path; a declaration whose params miss the path's fails.
 * A POST with a keyed caller (api/idempotency/operation.ts) gets the Idempotency-Key handling just before its
 * last handler: after authentication and body parsing, so no route has to ask for it.
 */
export function route(router: Router, operation: Operation, ...handlers: RequestHandler[]): void {
  const inPath = pathParamNames(operation.path);
  const declared = Object.keys(operation.params?.shape ?? {}).sort();
  if (inPath.join() !== declared.join()) {
    throw new Error(
      `${operation.method.toUpperCase()} ${operation.path} declares path parameters [${declared}], the path has [${inPath}]`,
    );
  }
  const chain = takesIdempotencyKey(operation)
    ? [...handlers.slice(0, -1), idempotencyKeyHandling(operation), ...handlers.slice(-1)]
    : handlers;
  router[operation.method](operation.path, ...chain);
}

// ---- answers many routes share ----

export const invalidRequest: ResponseSpec = {
  description: 'Invalid request',
  errors: ['validation_failed', 'malformed_json'],
};
export const notJson: ResponseSpec = {
  description: 'The body is not application/json',
  errors: ['unsupported_media_type'],
};
export const tooLarge: ResponseSpec = {
  description: 'Body over the size limit',
  errors: ['payload_too_large'],
};
export const temporalUnavailable: ResponseSpec = {
  description: 'Temporal unreachable; retry later',
  errors: ['temporal_unavailable'],
  headers: ['Retry-After'],
};
