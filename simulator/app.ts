/**
 * The Ondato simulator as an Express app (see ../shared/ondato-api.md, "What the simulator must reproduce"):
 * token server, IDV and KYC APIs, file downloads, the customer web flow, webhooks, fault injection, and a
 * control API for tests. `startSimulator` (./server) puts it on a port.
 */
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import { controlRoutes } from './control-routes';
import { SimulatorControls } from './controls';
import { FaultInjector } from './faults';
import { createLogger, type Logger, type LogSink } from './log';
import { sendOndatoError } from './ondato-errors';
import { ondatoRoutes } from './ondato-routes';
import { StateFile } from './persistence';
import { RequestCounter } from './request-counter';
import { SimulatorStore } from './store';
import { TokenIssuer } from './tokens';
import { VerificationFlow } from './verification-flow';
import { webFlowRoutes } from './web-flow-routes';
import { WebhookDispatcher, type WebhookOptions } from './webhooks';

export interface SimulatorOptions {
  host?: string;
  port?: number;
  clientId: string;
  clientSecret: string;
  /** `expires_in` of issued tokens (default 3600). */
  tokenLifetimeSeconds?: number;
  /** The URL clients use, when it differs from the listening address (a proxy, a container). */
  publicUrl?: string;
  /** Where and how webhooks go; none = webhooks are logged as disabled. */
  webhook?: WebhookOptions;
  /** Default size of every downloadable file (default 1.5 MB). */
  documentBytes?: number;
  /** Ondato's application id, echoed in resources and webhook envelopes. */
  applicationId?: string;
  /** One JSON line per event; silent when absent. */
  log?: LogSink;
  /**
   * A JSON file that keeps the sessions (IDVs, KYC identifications) across restarts (see ./persistence.ts);
   * loaded at start, written shortly after changes and on close. None = in memory only.
   */
  stateFile?: string;
  /** Problems a person should see (a corrupt state file set aside, a failing write); default: stderr. */
  warn?: LogSink;
}

export interface Simulator {
  app: Express;
  controls: SimulatorControls;
  /**
   * Stops webhook retries and pending fault timers, then writes pending state to the state file (the HTTP
   * server is the caller's: stop it first, so no request changes anything afterwards).
   */
  close(): Promise<void>;
  /** Writes pending state now (no-op without a state file). */
  flushState(): Promise<void>;
}

export const DEFAULT_DOCUMENT_BYTES = 1_500_000;
export const DEFAULT_TOKEN_LIFETIME_SECONDS = 3600;
export const DEFAULT_APPLICATION_ID = '00000000-0000-4000-8000-0000000000a1';

export function createSimulator(options: SimulatorOptions): Simulator {
  const logEvent = createLogger(options.log);
  let stateFile: StateFile | undefined;
  const store = new SimulatorStore(options.applicationId ?? DEFAULT_APPLICATION_ID, () =>
    stateFile?.changed(),
  );
  if (options.stateFile) {
    stateFile = new StateFile(options.stateFile, {
      snapshot: () => ({
        identityVerifications: store.identityVerifications(),
        identifications: store.identificationList(),
      }),
      logEvent,
      warn: createLogger(options.warn ?? ((line) => process.stderr.write(`${line}\n`))),
    });
    store.restore(stateFile.load());
  }
  const tokens = new TokenIssuer(
    options.clientId,
    options.clientSecret,
    options.tokenLifetimeSeconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS,
  );
  const faults = new FaultInjector(logEvent);
  const counter = new RequestCounter();
  const webhooks = new WebhookDispatcher(options.webhook, store.applicationId, logEvent);
  const flow = new VerificationFlow(
    store,
    webhooks,
    logEvent,
    options.documentBytes ?? DEFAULT_DOCUMENT_BYTES,
  );
  const controls = new SimulatorControls(store, flow, faults, tokens, webhooks, counter);

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(accessLog(logEvent));
  app.get('/healthz', (_req, res) => res.json({ status: 'ok' }));
  app.use('/_sim', controlRoutes(controls));
  app.use('/idv', webFlowRoutes(store, flow, controls));
  app.use(ondatoRoutes({ store, tokens, faults, counter, logEvent }));
  app.use((_req, res) => sendOndatoError(res, 404, 'No such endpoint'));
  app.use(errorHandler(logEvent));

  return {
    app,
    controls,
    async close() {
      webhooks.close();
      faults.close();
      await stateFile?.close();
    },
    async flushState() {
      await stateFile?.flush();
    },
  };
}

/** Method, path (no query: it may carry ids only, but stays out anyway), status, duration. */
function accessLog(logEvent: Logger): RequestHandler {
  return (req, res, next) => {
    const startedAt = Date.now();
    res.on('finish', () =>
      logEvent('http', {
        method: req.method,
        path: req.path,
        status: res.statusCode,
        durationMs: Date.now() - startedAt,
      }),
    );
    next();
  };
}

function errorHandler(logEvent: Logger): ErrorRequestHandler {
  return (error: unknown, _req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const type = (error as { type?: unknown }).type;
    if (type === 'entity.parse.failed') {
      sendOndatoError(res, 400, 'The body is not valid JSON', {
        params: { '(body)': [{ reason: 'InvalidJson', message: 'The body is not valid JSON' }] },
      });
      return;
    }
    if (type === 'entity.too.large') {
      sendOndatoError(res, 413, 'The body is too large', { reason: 'PayloadTooLarge' });
      return;
    }
    logEvent('error', { message: error instanceof Error ? error.message : String(error) });
    sendOndatoError(res, 500, 'Internal error');
  };
}
