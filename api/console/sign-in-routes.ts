/**
 * Sign-in and sign-out. An ops key is exchanged for a session cookie carrying the key's identity; a product
 * backend's key is refused (403: wrong role), an unknown one too (401). The sign-in form is protected by a
 * double-submit token and the same-origin check; sign-out by the session's CSRF token.
 */
import express, { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { keyFingerprint, type KeyIdentity } from '../../config/api-keys';
import { identifyCaller } from '../auth';
import { reviewerOf, type ConsoleAccess } from './access';
import { sessionDigest, type AuditLog } from './audit-log';
import { html } from './html';
import { messageBody } from './pages/layout';
import { signInBody } from './pages/sign-in-page';
import { sendPage } from './render';
import type { ConsoleSessions } from './session';

export interface SignInRoutesDeps {
  sessions: ConsoleSessions;
  access: ConsoleAccess;
  audit: AuditLog;
  backendKeys: readonly KeyIdentity[];
  opsKeys: readonly KeyIdentity[];
  form: RequestHandler;
}

/** Where to go after signing in: a console page, never another site. */
const NEXT_PAGE = /^\/console\/[A-Za-z0-9/_.~%?=&:-]*$/;
const DEFAULT_PAGE = '/console/queue';

const signInForm = z.object({
  token: z.string().optional(),
  key: z.string().max(1000).optional(),
  next: z.string().max(2000).optional(),
});

function safeNext(next: unknown): string {
  return typeof next === 'string' && NEXT_PAGE.test(next) && !next.includes('//') ? next : DEFAULT_PAGE;
}

export function signInRoutes(deps: SignInRoutesDeps): Router {
  const { sessions, access, audit } = deps;
  const router = Router();

  const showForm = (res: express.Response, status: number, next: string, problem?: string): void => {
    const { token, cookie } = sessions.signInToken();
    res.append('Set-Cookie', cookie);
    sendPage(res, status, 'Sign in', signInBody({ token, next, problem }));
  };

  router.get('/console/sign-in', (req, res) => {
    showForm(res, 200, safeNext(req.query.next));
  });

  router.post('/console/sign-in', deps.form, async (req, res) => {
    const form = signInForm.safeParse(req.body ?? {});
    const body = form.success ? form.data : {};
    const next = safeNext(body.next);
    if (!access.sameOrigin(req) || !sessions.checkSignInToken(req.get('cookie'), body.token)) {
      await audit.record({ event: 'sign_in_refused', result: 'forged_form' });
      showForm(
        res,
        403,
        next,
        'The sign-in form was not sent from this console, or it is too old. Try again.',
      );
      return;
    }
    const caller = identifyCaller(body.key?.trim() ?? '', { backend: deps.backendKeys, ops: deps.opsKeys });
    if (!caller) {
      await audit.record({ event: 'sign_in_refused', result: 'unknown_key' });
      showForm(res, 401, next, 'That is not a known key.');
      return;
    }
    if (caller.role !== 'ops') {
      await audit.record({ event: 'sign_in_refused', reviewer: caller.identity, result: 'wrong_role' });
      res.append('Set-Cookie', sessions.clearSignInCookie());
      sendPage(
        res,
        403,
        'Wrong role',
        messageBody(
          'Wrong role',
          'This is a product backend key (API_KEYS). Only an ops key (API_OPS_KEYS) may sign in to the review console.',
          html`<p><a href="/console/sign-in">Sign in with an ops key</a></p>`,
        ),
      );
      return;
    }
    const session = sessions.issue(caller.identity, 'ops_key', keyFingerprint(body.key?.trim() ?? ''));
    await audit.record({
      event: 'sign_in',
      reviewer: session.identity,
      via: 'ops_key',
      session: sessionDigest(session.sessionId),
    });
    res.append('Set-Cookie', sessions.clearSignInCookie());
    res.append('Set-Cookie', sessions.setCookie(session));
    res.redirect(303, next);
  });

  router.post(
    '/console/sign-out',
    deps.form,
    access.requireReviewer('action'),
    access.checkForm,
    async (_req, res) => {
      const { session } = reviewerOf(res);
      sessions.signOut(session);
      await audit.record({
        event: 'sign_out',
        reviewer: session.identity,
        via: session.via,
        session: sessionDigest(session.sessionId),
      });
      // The renewed cookie set on the way in is replaced by an expired one.
      res.removeHeader('Set-Cookie');
      res.append('Set-Cookie', sessions.clearCookie());
      res.redirect(303, '/console/sign-in');
    },
  );

  return router;
}
