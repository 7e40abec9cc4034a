/**
 * Console sessions without server state: a cookie holding who signed in, signed with HMAC-SHA256 under the
 * console's secret. Sliding (renewed on every request) up to an absolute lifetime. The CSRF token of a session
 * is an HMAC of its id, so every form of the session carries the same token and no store is needed. Sign-out
 * forgets the session in this process (other replicas forget it when it expires: keep the idle time short).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/** However active, a session ends this long after sign-in. */
export const SESSION_MAX_LIFETIME_MS = 12 * 60 * 60 * 1000;

const sessionSchema = z.strictObject({
  identity: z.string().min(1).max(200),
  via: z.enum(['ops_key', 'sso']),
  /** The signing key's fingerprint: a key removed from API_OPS_KEYS ends its sessions. */
  keyFingerprint: z.string().optional(),
  sessionId: z.string().regex(/^[A-Za-z0-9_-]{22}$/),
  issuedAt: z.number().int(),
  expiresAt: z.number().int(),
});
export type ConsoleSession = z.output<typeof sessionSchema>;

export interface SessionSettings {
  secret: Buffer;
  idleMs: number;
  /** `Secure` and the `__Host-` prefix: only when browsers reach the API over https. */
  secure: boolean;
  now?: () => number;
}

/** Cookie pairs of a `Cookie` header (the first of a repeated name wins). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const separator = part.indexOf('=');
    if (separator <= 0) continue;
    const name = part.slice(0, separator).trim();
    if (!cookies.has(name)) cookies.set(name, part.slice(separator + 1).trim());
  }
  return cookies;
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export class ConsoleSessions {
  readonly cookieName: string;
  /** The sign-in form's own CSRF cookie (double submit: no session exists yet). */
  readonly signInCookieName: string;
  private readonly cookiePath: string;
  private readonly now: () => number;
  private readonly signedOut = new Map<string, number>();

  constructor(private readonly settings: SessionSettings) {
    this.now = settings.now ?? Date.now;
    // `__Host-` cookies must be Secure with Path=/; plain http (local) keeps the cookie to the console's paths.
    this.cookieName = settings.secure ? '__Host-console-session' : 'console-session';
    this.signInCookieName = settings.secure ? '__Host-console-sign-in' : 'console-sign-in';
    this.cookiePath = settings.secure ? '/' : '/console';
  }

  issue(identity: string, via: ConsoleSession['via'], keyFingerprint?: string): ConsoleSession {
    const now = this.now();
    return {
      identity,
      via,
      ...(keyFingerprint ? { keyFingerprint } : {}),
      sessionId: randomBytes(16).toString('base64url'),
      issuedAt: now,
      expiresAt: Math.min(now + this.settings.idleMs, now + SESSION_MAX_LIFETIME_MS),
    };
  }

  /** The same session with its idle deadline moved to now + idle time (never past its absolute end). */
  renew(session: ConsoleSession): ConsoleSession {
    const expiresAt = Math.min(this.now() + this.settings.idleMs, session.issuedAt + SESSION_MAX_LIFETIME_MS);
    return { ...session, expiresAt };
  }

  /** The session a cookie header carries, if its signature holds, it has not expired and was not signed out. */
  read(cookieHeader: string | undefined): ConsoleSession | undefined {
    const value = parseCookies(cookieHeader).get(this.cookieName);
    if (!value) return undefined;
    const [payload, signature, extra] = value.split('.');
    if (!payload || !signature || extra !== undefined) return undefined;
    if (!sameText(signature, this.sign('session', payload))) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
    const session = sessionSchema.safeParse(parsed);
    if (!session.success) return undefined;
    const now = this.now();
    if (session.data.expiresAt <= now || session.data.issuedAt + SESSION_MAX_LIFETIME_MS <= now)
      return undefined;
    if (this.signedOut.has(session.data.sessionId)) return undefined;
    return session.data;
  }

  /** Forgets the session here; its cookie no longer reads. */
  signOut(session: ConsoleSession): void {
    const now = this.now();
    for (const [id, expiresAt] of this.signedOut) if (expiresAt <= now) this.signedOut.delete(id);
    this.signedOut.set(session.sessionId, session.issuedAt + SESSION_MAX_LIFETIME_MS);
  }

  setCookie(session: ConsoleSession): string {
    const payload = Buffer.from(JSON.stringify(session), 'utf8').toString('base64url');
    const maxAge = Math.max(0, Math.floor((session.expiresAt - this.now()) / 1000));
    return this.cookie(this.cookieName, `${payload}.${this.sign('session', payload)}`, maxAge);
  }

  clearCookie(): string {
    return this.cookie(this.cookieName, '', 0);
  }

  csrfToken(session: ConsoleSession): string {
    return this.sign('csrf', session.sessionId);
  }

  checkCsrf(session: ConsoleSession, token: unknown): boolean {
    return typeof token === 'string' && sameText(token, this.csrfToken(session));
  }

  /** A fresh sign-in form token and the cookie that pairs with it (valid for ten minutes). */
  signInToken(): { token: string; cookie: string } {
    const token = randomBytes(16).toString('base64url');
    return { token, cookie: this.cookie(this.signInCookieName, token, 600) };
  }

  checkSignInToken(cookieHeader: string | undefined, token: unknown): boolean {
    const expected = parseCookies(cookieHeader).get(this.signInCookieName);
    return (
      typeof token === 'string' && expected !== undefined && expected !== '' && sameText(token, expected)
    );
  }

  clearSignInCookie(): string {
    return this.cookie(this.signInCookieName, '', 0);
  }

  private sign(purpose: string, value: string): string {
    return createHmac('sha256', this.settings.secret)
      .update(`console-${purpose}\0${value}`)
      .digest('base64url');
  }

  private cookie(name: string, value: string, maxAgeSeconds: number): string {
    const secure = this.settings.secure ? '; Secure' : '';
    return `${name}=${value}; Path=${this.cookiePath}; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Strict${secure}`;
  }
}
