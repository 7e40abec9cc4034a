/**
 * A server span per API request, named by method and route template (never the raw path, which carries ids),
 * with the HTTP status. The request's handlers run inside it, so the Temporal client's spans (start, update,
 * signal) are its children. Added only when tracing is on.
 */
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Request, RequestHandler } from 'express';

const tracer = trace.getTracer('onboarding-api');

/** `routeOf` names a request by its matched route template (the API's logging does the same). */
export function httpTracing(routeOf: (req: Request) => string): RequestHandler {
  return (req, res, next) => {
    // A caller that traces (traceparent header) gets our spans in its trace.
    const parent = propagation.extract(context.active(), req.headers);
    const span = tracer.startSpan(
      `${req.method} request`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method } },
      parent,
    );
    const spanContext = trace.setSpan(parent, span);
    res.on('finish', () => {
      const route = routeOf(req);
      span.updateName(`${req.method} ${route}`);
      span.setAttribute('http.route', route);
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    // Body parsing continues in the socket's callbacks: bind the request's listeners to the span too.
    context.bind(spanContext, req);
    context.with(spanContext, next);
  };
}
