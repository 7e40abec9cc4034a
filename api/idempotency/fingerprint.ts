/**
 * What identifies an idempotent request, as digests only: nothing here keeps a value of the request itself.
 *
 * - The record name scopes a key to the caller's identity, the method and the declared route path, so two
 *   backends (or one backend on two routes) using the same key never meet.
 * - The fingerprint covers what the request asks for: method, concrete path and query, canonical JSON body and
 *   the caller. The same key with another fingerprint is a reused key (422), not a replay.
 */
import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every depth: the same body in another key order hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function sha256Hex(parts: readonly string[]): string {
  // JSON of the parts: no separator inside a part can shift the boundary between two parts.
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

export interface KeyScope {
  /** The key's configured identity (config/api-keys.ts). */
  identity: string;
  method: string;
  /** The declared express path, e.g. `/v1/onboardings/:customerId/review`. */
  routePath: string;
}

/** The name the record of `key` is stored under: a digest, so neither the key nor the identity shows. */
export function recordNameOf(scope: KeyScope, key: string): string {
  return sha256Hex([
    'idempotency-record/v1',
    scope.identity,
    scope.method.toUpperCase(),
    scope.routePath,
    key,
  ]);
}

export interface RequestShape {
  identity: string;
  method: string;
  /** Path and query as sent (`req.originalUrl`). */
  url: string;
  /** The parsed JSON body; undefined without one. */
  body: unknown;
}

export function fingerprintOf(request: RequestShape): string {
  return sha256Hex([
    'idempotency-fingerprint/v1',
    request.identity,
    request.method.toUpperCase(),
    request.url,
    canonicalJson(request.body ?? null),
  ]);
}
