/**
 * One structured log line per request: request id, method, route template, status, latency. Never bodies,
 * query strings or headers: bodies carry registration data, headers carry credentials.
 */
import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { ApiMetrics } from './metrics';

declare module 'express-serve-static-core' {
  interface Request {
    /** Correlates the request's log lines; echoed in `X-Request-Id`. */
    id: string;
  }
}

/**
 * The Temporal UI calls the codec endpoint for every payload it shows: at info these lines would drown the
 * terminal, so they go out at debug (their metrics are still counted).
 */
function isCodecRoute(route: string): boolean {
  return route.startsWith('/codec/');
}

/** A caller's request id is reused only when it cannot smuggle anything into logs. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,100}$/;

/** The matched route template (`/v1/onboardings/:customerId`), never the raw path with its ids. */
export function routeOf(req: Request): string {
  const path: unknown = req.route?.path;
  return typeof path === 'string' ? path : 'unmatched';
}

export function requestLogging(logger: Logger, metrics: ApiMetrics): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const offered = req.get('x-request-id');
    req.id = offered && SAFE_REQUEST_ID.test(offered) ? offered : randomUUID();
    res.setHeader('X-Request-Id', req.id);
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeOf(req);
      metrics.observeRequest(req.method, route, res.statusCode, seconds);
      const level =
        res.statusCode >= 500
          ? 'error'
          : res.statusCode >= 400
            ? 'warn'
            : isCodecRoute(route)
              ? 'debug'
              : 'info';
      const errorCode: unknown = res.locals.errorCode;
      logger[level](
        {
          reqId: req.id,
          method: req.method,
          route,
          status: res.statusCode,
          latencyMs: Math.round(seconds * 1e4) / 10,
          ...(typeof errorCode === 'string' ? { errorCode } : {}),
        },
        'request',
      );
    });
    next();
  };
}
