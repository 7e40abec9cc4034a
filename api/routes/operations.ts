/** Operational routes, no auth: liveness, readiness, metrics, and the API's own documentation. */
import { Router } from 'express';
import type { Client } from '@temporalio/client';
import type { ApiMetrics } from '../metrics';
import { buildOpenApiDocument, renderDocsHtml } from '../openapi';

export interface OperationsRoutesDeps {
  temporal: Client;
  metrics: ApiMetrics;
  readinessTimeoutMs: number;
}

export function operationsRoutes(deps: OperationsRoutesDeps): Router {
  const router = Router();
  // Built once: the schemas do not change while the process runs.
  const openApi = buildOpenApiDocument();
  const docsHtml = renderDocsHtml(openApi);

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/readyz', async (_req, res) => {
    const timeoutMs = deps.readinessTimeoutMs;
    const check = deps.temporal.withDeadline(Date.now() + timeoutMs, () =>
      deps.temporal.workflowService.getSystemInfo({}),
    );
    // The client's retry backoff can outlast the gRPC deadline; probes want an answer on time.
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error('readiness check timed out')), timeoutMs);
    });
    try {
      await Promise.race([check, late]);
      res.json({ status: 'ok', temporal: 'reachable' });
    } catch {
      check.catch(() => undefined);
      res.status(503).json({ status: 'unavailable', temporal: 'unreachable' });
    } finally {
      clearTimeout(timer);
    }
  });

  router.get('/metrics', (_req, res) => {
    res.type('text/plain; version=0.0.4; charset=utf-8').send(deps.metrics.render());
  });

  router.get('/openapi.json', (_req, res) => {
    res.json(openApi);
  });

  router.get('/docs', (_req, res) => {
    res
      .type('html')
      .setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'")
      .send(docsHtml);
  });

  return router;
}
