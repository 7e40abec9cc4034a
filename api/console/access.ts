/**
 * Who is reviewing: a signed session cookie (from an ops key exchanged at sign-in), or, by configuration, an
 * identity header set by a trusted SSO proxy (believed only from the proxy's addresses). Forms are checked for
 * their session's CSRF token and for a same-origin `Origin` (or `Referer`).
 */
import type { Request, RequestHandler, Response } from 'express';
import { keyFingerprint, type KeyIdentity } from '../../config/api-keys';
import type { ConsoleSettings } from '../../config';
import { buildAllowList, sourceAddress } from '../auth';
import { sessionDigest, type AuditLog } from './audit-log';
import type { ConsoleSession, ConsoleSessions } from './session';
import { ConsoleRefusal } from './refusal';

/** Identities from an SSO header: user names or e-mail addresses, nothing that could break a log line. */
const SSO_IDENTITY = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$/;

export interface Reviewer {
  session: ConsoleSession;
  /** The CSRF token every form of this session carries. */
  csrf: string;
}

interface ReviewerLocals {
  reviewer?: Reviewer;
}

export function reviewerOf(res: Response): Reviewer {
  const reviewer = (res.locals as ReviewerLocals).reviewer;
  if (!reviewer) throw new Error('reviewerOf: the route has no requireReviewer in front of it');
  return reviewer;
}

/** The reviewer of a request that may or may not be signed in (the sign-in page, error pages). */
export function optionalReviewerOf(res: Response): Reviewer | undefined {
  return (res.locals as ReviewerLocals).reviewer;
}

export interface ConsoleAccessDeps {
  sessions: ConsoleSessions;
  opsKeys: readonly KeyIdentity[];
  settings: Pick<ConsoleSettings, 'trustedIdentityHeader' | 'trustedProxies'>;
  /** Origins forms may come from besides the request's own (the API's public URL). */
  allowedOrigins: readonly string[];
  audit: AuditLog;
}

export class ConsoleAccess {
  private readonly proxies;

  constructor(private readonly deps: ConsoleAccessDeps) {
    this.proxies = buildAllowList(deps.settings.trustedProxies);
  }

  /**
   * Admits a signed-in reviewer and renews the session (sliding). Without one: a page request is sent to the
   * sign-in page, an action (a form post, a document) is refused with 401.
   */
  requireReviewer(kind: 'page' | 'action'): RequestHandler {
    return (req, res, next) => {
      this.identify(req)
        .then((session) => {
          if (!session) {
            if (kind === 'page') {
              res.redirect(303, `/console/sign-in?next=${encodeURIComponent(req.originalUrl)}`);
              return;
            }
            throw new ConsoleRefusal(401, 'Not signed in', 'Sign in to the review console first.');
          }
          const renewed = this.deps.sessions.renew(session);
          res.append('Set-Cookie', this.deps.sessions.setCookie(renewed));
          (res.locals as ReviewerLocals).reviewer = {
            session: renewed,
            csrf: this.deps.sessions.csrfToken(renewed),
          };
          next();
        })
        .catch(next);
    };
  }

  /** Form posts: same origin, and the session's CSRF token in the `csrf` field (403 otherwise). */
  readonly checkForm: RequestHandler = (req, res, next) => {
    const reviewer = reviewerOf(res);
    if (!this.sameOrigin(req)) {
      next(new ConsoleRefusal(403, 'Refused', 'This form was not sent from the review console.'));
      return;
    }
    const token: unknown = (req.body as Record<string, unknown> | undefined)?.csrf;
    if (!this.deps.sessions.checkCsrf(reviewer.session, token)) {
      next(
        new ConsoleRefusal(
          403,
          'Refused',
          'The form lacks its security token or carries a wrong one. Reload the page and try again.',
        ),
      );
      return;
    }
    next();
  };

  /** `Origin` (or else `Referer`) names this console when a browser sent one. */
  sameOrigin(req: Request): boolean {
    const claimed = req.get('origin') ?? originOf(req.get('referer'));
    if (claimed === undefined) return true;
    const own = `${req.protocol}://${req.get('host') ?? ''}`;
    return claimed === own || this.deps.allowedOrigins.includes(claimed);
  }

  private async identify(req: Request): Promise<ConsoleSession | undefined> {
    let session = this.deps.sessions.read(req.get('cookie'));
    if (session?.via === 'ops_key' && !this.keyStillConfigured(session)) session = undefined;
    const ssoIdentity = this.ssoIdentity(req);
    if (ssoIdentity !== undefined) {
      if (session?.via === 'sso' && session.identity === ssoIdentity) return session;
      const fresh = this.deps.sessions.issue(ssoIdentity, 'sso');
      await this.deps.audit.record({
        event: 'sign_in',
        reviewer: ssoIdentity,
        via: 'sso',
        session: sessionDigest(fresh.sessionId),
      });
      return fresh;
    }
    // An SSO session is only good behind the proxy that vouched for it.
    return session?.via === 'sso' ? undefined : session;
  }

  private keyStillConfigured(session: ConsoleSession): boolean {
    return this.deps.opsKeys.some(
      (entry) => entry.identity === session.identity && keyFingerprint(entry.key) === session.keyFingerprint,
    );
  }

  private ssoIdentity(req: Request): string | undefined {
    const header = this.deps.settings.trustedIdentityHeader;
    if (!header || !this.proxies) return undefined;
    const address = sourceAddress(req, false);
    const family = address?.includes(':') ? 'ipv6' : 'ipv4';
    if (!address || !this.proxies.check(address, family)) return undefined;
    const identity = req.get(header)?.trim();
    return identity && SSO_IDENTITY.test(identity) ? identity : undefined;
  }
}

function originOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).origin;
  } catch {
    return 'invalid';
  }
}
