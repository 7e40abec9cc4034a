/** The OAuth2 client-credentials server of the simulator: issues bearer tokens and checks them. */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { TokenForm } from './request-schemas';

export const SCOPES = [
  'idv_api',
  'idv_api_readonly',
  'kyc_identifications_api',
  'kyc_identifications_api_readonly',
];

export type TokenResult =
  | { ok: true; body: { access_token: string; expires_in: number; token_type: 'Bearer'; scope: string } }
  | { ok: false; status: 400 | 401; body: { error: string; error_description: string } };

export type VerifyResult =
  { ok: true; scopes: string[] } | { ok: false; problem: 'missing' | 'unknown' | 'expired' };

interface IssuedToken {
  expiresAt: number;
  scopes: string[];
}

/** Sweeping expired tokens once this many are held keeps a long benchmark's memory flat. */
const SWEEP_THRESHOLD = 10_000;

export class TokenIssuer {
  private readonly tokens = new Map<string, IssuedToken>();
  private issued = 0;

  constructor(
    private readonly clientId: string,
    private readonly clientSecret: string,
    private readonly lifetimeSeconds: number,
  ) {}

  /** Handles a token request; client credentials come from the form or from a Basic header. */
  issue(form: TokenForm, authorization: string | undefined): TokenResult {
    if (form.grant_type !== 'client_credentials') {
      return failure(400, 'unsupported_grant_type', 'Only client_credentials is supported');
    }
    const credentials = basicCredentials(authorization) ?? { id: form.client_id, secret: form.client_secret };
    if (!credentials.id || !credentials.secret)
      return failure(400, 'invalid_request', 'Client credentials missing');
    if (!sameSecret(credentials.id, this.clientId) || !sameSecret(credentials.secret, this.clientSecret)) {
      return failure(401, 'invalid_client', 'Unknown client or wrong secret');
    }
    const requested = form.scope?.split(' ').filter((scope) => scope.length > 0) ?? [];
    if (requested.some((scope) => !SCOPES.includes(scope)))
      return failure(400, 'invalid_scope', 'Unknown scope');
    const scopes = requested.length > 0 ? requested : SCOPES;

    const accessToken = randomBytes(32).toString('base64url');
    this.sweep();
    this.tokens.set(accessToken, { expiresAt: Date.now() + this.lifetimeSeconds * 1000, scopes });
    this.issued += 1;
    return {
      ok: true,
      body: {
        access_token: accessToken,
        expires_in: this.lifetimeSeconds,
        token_type: 'Bearer',
        scope: scopes.join(' '),
      },
    };
  }

  verify(authorization: string | undefined): VerifyResult {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (!match) return { ok: false, problem: 'missing' };
    const token = this.tokens.get(match[1]);
    if (!token) return { ok: false, problem: 'unknown' };
    if (Date.now() >= token.expiresAt) return { ok: false, problem: 'expired' };
    return { ok: true, scopes: token.scopes };
  }

  /** Makes every token issued so far expire now; returns how many were still valid. */
  expireAll(): number {
    const now = Date.now();
    let expired = 0;
    for (const token of this.tokens.values()) {
      if (token.expiresAt > now) expired += 1;
      token.expiresAt = 0;
    }
    return expired;
  }

  issuedCount(): number {
    return this.issued;
  }

  private sweep(): void {
    if (this.tokens.size < SWEEP_THRESHOLD) return;
    const now = Date.now();
    for (const [value, token] of this.tokens) if (token.expiresAt <= now) this.tokens.delete(value);
  }
}

function failure(status: 400 | 401, error: string, description: string): TokenResult {
  return { ok: false, status, body: { error, error_description: description } };
}

function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  try {
    // RFC 6749 §2.3.1: both parts are form-urlencoded before being joined.
    return {
      id: decodeURIComponent(decoded.slice(0, colon)),
      secret: decodeURIComponent(decoded.slice(colon + 1)),
    };
  } catch {
    return undefined;
  }
}

/** Constant time whatever the lengths: compares digests. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string): Buffer => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
