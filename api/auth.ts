/**
 * Who may call what. Product backends: a bearer API key (start, read). Ops tooling: a bearer ops key (review,
 * cancel, retry, resume, list, read); each key has an identity, which decisions record. Ondato's webhooks: Basic credentials, optionally an
 * HMAC signature over the raw body and a source-IP allow-list.
 *
 * Every secret comparison hashes both sides first and compares the digests with `timingSafeEqual`: equal
 * lengths always, and the time taken says nothing about how much of a guess was right.
 */
import { BlockList, isIP } from 'node:net';
import type { Request, RequestHandler, Response } from 'express';
import type { KeyIdentity } from '../config/api-keys';
import {
  checkSignature,
  constantTimeEqual,
  ONDATO_WEBHOOK_SIGNATURE,
  sign,
  type SignatureCheck,
} from '../codec/hmac-signature';
import { ApiError } from './errors';

/** True when `candidate` equals any of `secrets`; checks all of them, so timing does not tell which. */
export function matchesAny(candidate: string, secrets: readonly string[]): boolean {
  let matched = false;
  for (const secret of secrets) matched = constantTimeEqual(candidate, secret) || matched;
  return matched;
}

const API_REALM = 'Bearer realm="onboarding-api"';

/**
 * `Authorization: Bearer <token>` with one of `tokens`, or 401 with `WWW-Authenticate: <realm>`. Every
 * configured token is compared, in constant time.
 */
export function requireBearerToken(
  tokens: readonly string[],
  realm: string,
  message: string,
): RequestHandler {
  return (req, _res, next) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
    if (!match || !matchesAny(match[1], tokens)) {
      next(
        new ApiError(401, 'unauthorized', message, undefined, {
          'WWW-Authenticate': match ? `${realm}, error="invalid_token"` : realm,
        }),
      );
      return;
    }
    next();
  };
}

/** Product backends (start, read) and ops tooling (review, cancel, retry, resume, list, read). */
export type Role = 'backend' | 'ops';

/** Who called: the role of the key and the identity it was configured with (config/api-keys.ts). */
export interface Caller {
  role: Role;
  identity: string;
}

export type RoleKeys = Record<Role, readonly KeyIdentity[]>;

/** The caller a bearer token belongs to; every key of every role is compared, so timing does not tell which. */
export function identifyCaller(token: string, keys: RoleKeys): Caller | undefined {
  let caller: Caller | undefined;
  for (const role of ['backend', 'ops'] as const) {
    for (const entry of keys[role]) {
      if (constantTimeEqual(token, entry.key) && !caller) caller = { role, identity: entry.identity };
    }
  }
  return caller;
}

const ROLE_KEYS: Record<Role, string> = {
  backend: 'an API key (API_KEYS)',
  ops: 'an ops key (API_OPS_KEYS)',
};

/**
 * `Authorization: Bearer <key>` with a key of one of `roles`: 401 without a known key, 403 with a known key of
 * another role (the reason names the role needed). The caller is left in `res.locals` (see `callerOf`).
 */
export function requireRole(
  keys: RoleKeys,
  roles: readonly [Role, ...Role[]],
  action: string,
): RequestHandler {
  const needed = roles.map((role) => ROLE_KEYS[role]).join(' or ');
  return (req, res, next) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
    const caller = match ? identifyCaller(match[1], keys) : undefined;
    if (!caller) {
      next(
        new ApiError(
          401,
          'unauthorized',
          `A valid key is required to ${action}: ${needed} as the bearer token`,
          undefined,
          {
            'WWW-Authenticate': match ? `${API_REALM}, error="invalid_token"` : API_REALM,
          },
        ),
      );
      return;
    }
    if (!roles.includes(caller.role)) {
      next(
        new ApiError(
          403,
          'forbidden',
          `Only ${needed} may ${action}; this key is ${ROLE_KEYS[caller.role]}`,
          {
            role: caller.role,
            requiredRoles: roles,
          },
        ),
      );
      return;
    }
    (res.locals as CallerLocals).caller = caller;
    next();
  };
}

interface CallerLocals {
  caller?: Caller;
}

/** The caller `requireRole` admitted; a handler behind it always has one. */
export function callerOf(res: Response): Caller {
  const caller = (res.locals as CallerLocals).caller;
  if (!caller) throw new Error('callerOf: the route has no requireRole in front of it');
  return caller;
}

export interface WebhookAuthSettings {
  username: string;
  password: string;
  /** When set, `Ondato-Signature` is required and checked over the raw body. */
  hmacSecret?: string;
  /** How old (or how far in the future) a signature timestamp may be. */
  signatureToleranceSeconds: number;
  /** Addresses or CIDR ranges; empty = any source. */
  ipAllowList: readonly string[];
  /** Read the source address from the last `X-Forwarded-For` hop (exactly one trusted proxy in front). */
  trustProxy: boolean;
}

const WEBHOOK_REALM = 'Basic realm="ondato-webhooks"';

/** `Basic base64(user:password)`; both parts compared in constant time, always both. */
export function checkBasicCredentials(
  header: string | undefined,
  username: string,
  password: string,
): boolean {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match) return false;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const separator = decoded.indexOf(':');
  if (separator < 0) return false;
  const userOk = constantTimeEqual(decoded.slice(0, separator), username);
  const passwordOk = constantTimeEqual(decoded.slice(separator + 1), password);
  return userOk && passwordOk;
}

export const ONDATO_SIGNATURE_HEADER = 'ondato-signature';

/** `Ondato-Signature: t=<unix seconds>, s=<hex HMAC-SHA256 of "<t>.<raw body>">` (tests sign with it). */
export function signWebhookBody(secret: string, rawBody: Buffer, timestampSeconds: number): string {
  return sign(ONDATO_WEBHOOK_SIGNATURE, secret, rawBody, timestampSeconds);
}

export function checkWebhookSignature(
  secret: string,
  rawBody: Buffer,
  header: string | undefined,
  nowSeconds: number,
  toleranceSeconds: number,
): SignatureCheck {
  return checkSignature(ONDATO_WEBHOOK_SIGNATURE, secret, rawBody, header, { nowSeconds, toleranceSeconds });
}

/** `::ffff:10.0.0.1` and `10.0.0.1` are the same sender. */
function normalizeAddress(address: string): string {
  const trimmed = address.trim();
  return trimmed.toLowerCase().startsWith('::ffff:') && isIP(trimmed.slice(7)) === 4
    ? trimmed.slice(7)
    : trimmed;
}

/** Builds the allow-list once; entries are `1.2.3.4`, `2001:db8::1` or `10.0.0.0/8`. Throws on a bad entry. */
export function buildAllowList(entries: readonly string[]): BlockList | undefined {
  if (entries.length === 0) return undefined;
  const list = new BlockList();
  for (const entry of entries) {
    const [address, prefix] = entry.split('/');
    const family = isIP(address);
    if (family === 0) throw new Error(`WEBHOOK_IP_ALLOWLIST: not an IP address: ${entry}`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return list;
}

export function sourceAddress(req: Request, trustProxy: boolean): string | undefined {
  if (trustProxy) {
    // The last hop is the one our own proxy appended; earlier ones are whatever the sender claimed.
    const hops = (req.get('x-forwarded-for') ?? '')
      .split(',')
      .map((hop) => hop.trim())
      .filter(Boolean);
    if (hops.length > 0) return normalizeAddress(hops[hops.length - 1]);
  }
  const remote = req.socket.remoteAddress;
  return remote ? normalizeAddress(remote) : undefined;
}

function isAllowed(list: BlockList, address: string | undefined): boolean {
  const family = address ? isIP(address) : 0;
  if (!address || family === 0) return false;
  return list.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * The checks that need no body: the source address (403) and the Basic credentials (401). They run before the
 * body is read, so strangers never get it buffered.
 */
export function admitWebhookSender(settings: WebhookAuthSettings): RequestHandler {
  const allowList = buildAllowList(settings.ipAllowList);
  return (req, _res, next) => {
    if (allowList && !isAllowed(allowList, sourceAddress(req, settings.trustProxy))) {
      next(new ApiError(403, 'forbidden', 'This source address may not deliver webhooks'));
      return;
    }
    if (!checkBasicCredentials(req.get('authorization'), settings.username, settings.password)) {
      next(
        new ApiError(401, 'unauthorized', 'Invalid webhook credentials', undefined, {
          'WWW-Authenticate': WEBHOOK_REALM,
        }),
      );
      return;
    }
    next();
  };
}

/** With a secret configured, `Ondato-Signature` must match the raw body (`express.raw` runs first); 401 if not. */
export function verifyWebhookSignature(
  settings: WebhookAuthSettings,
  nowSeconds: () => number,
): RequestHandler {
  return (req, _res, next) => {
    if (!settings.hmacSecret) {
      next();
      return;
    }
    const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const check = checkWebhookSignature(
      settings.hmacSecret,
      rawBody,
      req.get(ONDATO_SIGNATURE_HEADER),
      nowSeconds(),
      settings.signatureToleranceSeconds,
    );
    if (check !== 'valid') {
      next(new ApiError(401, 'unauthorized', `Invalid webhook signature (${check})`));
      return;
    }
    next();
  };
}
