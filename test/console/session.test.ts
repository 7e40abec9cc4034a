/**
 * Console sessions: a cookie that reads back only as it was signed, within its idle time and its absolute
 * lifetime, and never after sign-out; CSRF tokens bound to one session; the sign-in form's double-submit token.
 */
import { ConsoleSessions, parseCookies, SESSION_MAX_LIFETIME_MS } from '../../api/console/session';

const IDLE_MS = 30 * 60_000;

function sessionsAt(clock: { now: number }, secret = 'a'.repeat(40)) {
  return new ConsoleSessions({
    secret: Buffer.from(secret),
    idleMs: IDLE_MS,
    secure: false,
    now: () => clock.now,
  });
}

/** The `Cookie` header a browser would send back for a `Set-Cookie` value. */
const cookieHeader = (setCookie: string) => setCookie.split(';')[0];

describe('console sessions', () => {
  it('reads back a signed session, with the flags a session cookie needs', () => {
    const clock = { now: Date.parse('2026-11-29T10:00:00Z') };
    const sessions = sessionsAt(clock);
    const session = sessions.issue('ops-desk', 'ops_key', 'key-0123abcd');
    const setCookie = sessions.setCookie(session);
    expect(setCookie).toMatch(/; Path=\/console; Max-Age=1800; HttpOnly; SameSite=Strict$/);
    expect(sessions.read(cookieHeader(setCookie))).toEqual(session);
    const secure = new ConsoleSessions({
      secret: Buffer.from('a'.repeat(40)),
      idleMs: IDLE_MS,
      secure: true,
    });
    expect(secure.setCookie(session)).toMatch(/^__Host-console-session=.*; Path=\/; .*; Secure$/);
  });

  it('refuses a tampered, foreign or malformed cookie', () => {
    const clock = { now: Date.now() };
    const sessions = sessionsAt(clock);
    const value = cookieHeader(sessions.setCookie(sessions.issue('ops-desk', 'ops_key'))).split('=')[1];
    const [payload, signature] = value.split('.');
    const claimed = Buffer.from(
      JSON.stringify({
        ...JSON.parse(Buffer.from(payload, 'base64url').toString()),
        identity: 'someone-else',
      }),
    ).toString('base64url');
    expect(sessions.read(`console-session=${claimed}.${signature}`)).toBeUndefined();
    expect(sessionsAt(clock, 'b'.repeat(40)).read(`console-session=${value}`)).toBeUndefined();
    expect(sessions.read(`console-session=${payload}`)).toBeUndefined();
    expect(sessions.read('console-session=..')).toBeUndefined();
    expect(sessions.read(undefined)).toBeUndefined();
  });

  it('slides with activity, ends after the idle time, and ends at its absolute lifetime however active', () => {
    const clock = { now: Date.parse('2026-11-29T08:00:00Z') };
    const sessions = sessionsAt(clock);
    let session = sessions.issue('ops-desk', 'ops_key');
    const start = clock.now;
    while (clock.now - start < SESSION_MAX_LIFETIME_MS - IDLE_MS) {
      clock.now += IDLE_MS - 60_000;
      expect(sessions.read(cookieHeader(sessions.setCookie(session)))).toBeDefined();
      session = sessions.renew(session);
    }
    expect(session.expiresAt).toBeLessThanOrEqual(start + SESSION_MAX_LIFETIME_MS);
    clock.now = start + SESSION_MAX_LIFETIME_MS;
    expect(sessions.read(cookieHeader(sessions.setCookie(session)))).toBeUndefined();

    const idle = sessions.issue('ops-desk', 'ops_key');
    const cookie = cookieHeader(sessions.setCookie(idle));
    clock.now += IDLE_MS;
    expect(sessions.read(cookie)).toBeUndefined();
  });

  it('forgets a signed-out session', () => {
    const sessions = sessionsAt({ now: Date.now() });
    const session = sessions.issue('ops-desk', 'ops_key');
    const cookie = cookieHeader(sessions.setCookie(session));
    sessions.signOut(session);
    expect(sessions.read(cookie)).toBeUndefined();
  });

  it("binds CSRF tokens to one session, and the sign-in token to the form's cookie", () => {
    const sessions = sessionsAt({ now: Date.now() });
    const one = sessions.issue('ops-desk', 'ops_key');
    const other = sessions.issue('ops-desk', 'ops_key');
    expect(sessions.checkCsrf(one, sessions.csrfToken(one))).toBe(true);
    expect(sessions.checkCsrf(one, sessions.csrfToken(other))).toBe(false);
    expect(sessions.checkCsrf(one, undefined)).toBe(false);
    expect(sessions.checkCsrf(one, '')).toBe(false);

    const { token, cookie } = sessions.signInToken();
    expect(sessions.checkSignInToken(cookieHeader(cookie), token)).toBe(true);
    expect(sessions.checkSignInToken(cookieHeader(cookie), `${token}x`)).toBe(false);
    expect(sessions.checkSignInToken(undefined, token)).toBe(false);
    expect(parseCookies('a=1; b=2; a=3')).toEqual(
      new Map([
        ['a', '1'],
        ['b', '2'],
      ]),
    );
  });
});
