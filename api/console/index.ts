/**
 * The review console: server-rendered pages under /console where a compliance reviewer works through the
 * runs waiting in manual review (or parked), sees a case (registration beside Ondato's extraction, documents,
 * timeline) and decides it. Its own express app, mounted by the API (api/app.ts): HTML pages for people, not
 * operations of the JSON API, so they are not in the OpenAPI document (see the README's "Review console").
 */
import express, { type ErrorRequestHandler } from 'express';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { AppConfig } from '../../config';
import { parseKeyEntries } from '../../config/api-keys';
import type { DocumentStore } from '../../storage/document-store';
import { createDocumentStore } from '../../storage/store-factory';
import { ApiError } from '../errors';
import { OnboardingLister } from '../list-onboardings';
import { OnboardingService } from '../onboarding-service';
import { ConsoleAccess } from './access';
import { AuditWriteFailed, createAuditLog, type AuditLog } from './audit-log';
import { CaseReader } from './case-file';
import { caseRoutes } from './case-routes';
import { html } from './html';
import { messageBody } from './pages/layout';
import { ReviewQueue } from './queue';
import { ConsoleRefusal } from './refusal';
import { sendPage } from './render';
import { consoleHeaders } from './security-headers';
import { ConsoleSessions } from './session';
import { signInRoutes } from './sign-in-routes';

export type ConsoleConfig = Pick<AppConfig, 'temporal' | 'api' | 'codec' | 'documents' | 'console'>;

export interface ConsoleDeps {
  temporal: Client;
  config: ConsoleConfig;
  logger: Logger;
  /** Defaults: the configured document store and audit log target. */
  store?: DocumentStore;
  audit?: AuditLog;
  now?: () => Date;
}

const FORM_LIMIT = '16kb';

export function createConsole(deps: ConsoleDeps): express.Express {
  const { api, console: settings, temporal } = deps.config;
  const now = deps.now ?? (() => new Date());
  const logger = deps.logger.child({ component: 'console' });
  if (settings.sessionSecretGenerated) {
    logger.info('CONSOLE_SESSION_SECRET is not set: console sessions end when this process does');
  }
  const audit = deps.audit ?? createAuditLog(settings.auditLog, logger);
  const opsKeys = parseKeyEntries(api.opsKeys);
  const sessions = new ConsoleSessions({
    secret: settings.sessionSecret,
    idleMs: settings.sessionIdleMs,
    secure: settings.secureCookies,
    now: () => now().getTime(),
  });
  const access = new ConsoleAccess({
    sessions,
    opsKeys,
    settings,
    allowedOrigins: [new URL(api.publicUrl).origin],
    audit,
  });
  const service = new OnboardingService({
    client: deps.temporal,
    taskQueue: temporal.taskQueue,
    startWaitMs: api.startWaitMs,
    callTimeoutMs: api.temporalTimeoutMs,
  });
  const form = express.urlencoded({ extended: false, limit: FORM_LIMIT, parameterLimit: 20 });

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use('/console', consoleHeaders);
  app.use(signInRoutes({ sessions, access, audit, form, backendKeys: parseKeyEntries(api.keys), opsKeys }));
  app.use(
    caseRoutes({
      access,
      audit,
      form,
      service,
      now,
      queue: new ReviewQueue(
        new OnboardingLister({ client: deps.temporal, callTimeoutMs: api.temporalTimeoutMs }),
        service,
      ),
      cases: new CaseReader({
        client: deps.temporal,
        service,
        callTimeoutMs: api.temporalTimeoutMs,
        temporalUiUrl: settings.temporalUiUrl,
      }),
      store: deps.store ?? createDocumentStore(deps.config.documents, deps.config.codec.keyRing),
    }),
  );
  app.use('/console', (_req, _res, next) =>
    next(new ConsoleRefusal(404, 'Not found', 'No such console page.')),
  );
  app.use(consoleErrors(logger));
  return app;
}

/** Every refusal is a page that says why; Temporal away is a 503 to retry; only a bug is a 500. */
function consoleErrors(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const refusal = asRefusal(error);
    if (!refusal || error instanceof AuditWriteFailed) {
      logger.error({ err: error, path: req.path }, 'console request failed');
    }
    const shown = refusal ?? new ConsoleRefusal(500, 'Something went wrong', 'The console failed to answer.');
    res.set(shown.headers);
    sendPage(
      res,
      shown.status,
      shown.title,
      messageBody(
        shown.title,
        shown.explanation,
        html`<p><a href="/console/queue">Back to the queue</a></p>`,
      ),
    );
  };
}

function asRefusal(error: unknown): ConsoleRefusal | undefined {
  if (error instanceof ConsoleRefusal) return error;
  if (error instanceof ApiError) {
    const title =
      error.status === 503 ? 'Temporal is unavailable' : error.status === 404 ? 'Not found' : 'Refused';
    return new ConsoleRefusal(error.status, title, error.message, error.headers);
  }
  if (error instanceof AuditWriteFailed) {
    return new ConsoleRefusal(
      503,
      'Audit log unavailable',
      'The view could not be recorded, so it is not shown.',
      {
        'Retry-After': '5',
      },
    );
  }
  if (isBodyTooLarge(error)) return new ConsoleRefusal(413, 'Too large', 'The form is too large.');
  return undefined;
}

function isBodyTooLarge(error: unknown): boolean {
  return (
    typeof error === 'object' && error !== null && (error as { type?: unknown }).type === 'entity.too.large'
  );
}
