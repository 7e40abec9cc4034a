/** Operational routes, no auth: liveness, readiness, metrics, and the API's own documentation. */
import { Router } from 'express';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { checkNamespace } from '../../composition/namespace-check';
import type { CodecEndpointAccess } from '../../config';
import { ApiError } from '../errors';
import type { ApiMetrics } from '../metrics';
import { DOCS_ASSET_NAMES, DOCS_ASSETS, DOCS_CSP, DOCS_HTML, type DocsAsset } from '../openapi/docs-page';
import { buildOpenApiDocument } from '../openapi/document';
import { route, type Operation, type Operations } from '../route-spec';
import { healthSchema } from '../schemas';
import { CODEC_OPERATIONS } from './codec';
import { ERASURE_OPERATIONS } from './erasure';
import { LIFECYCLE_OPERATIONS } from './lifecycle';
import { ONBOARDING_OPERATIONS } from './onboardings';
import { WEBHOOK_OPERATIONS } from './webhooks';

export interface OperationsRoutesDeps {
  temporal: Client;
  metrics: ApiMetrics;
  readinessTimeoutMs: number;
  /** The codec endpoint's access here, so the document says whether it needs a token (open in local mode). */
  codecAccess?: CodecEndpointAccess;
}

const docsAssetParams = z.object({ asset: z.enum(DOCS_ASSET_NAMES) });
const openApiDocumentSchema = z.looseObject({
  openapi: z.literal('3.1.0'),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.unknown()),
});

export const SERVICE_OPERATIONS = {
  healthz: {
    method: 'get',
    path: '/healthz',
    summary: 'Liveness: the process is up',
    tag: 'Operations',
    security: 'none',
    responses: { 200: { description: 'Up', body: healthSchema } },
  },
  readyz: {
    method: 'get',
    path: '/readyz',
    summary: 'Readiness: Temporal is reachable and its namespace holds the search attributes',
    tag: 'Operations',
    security: 'none',
    responses: {
      200: { description: 'Ready', body: healthSchema },
      503: {
        description:
          'Temporal unreachable, or its namespace missing or lacking search attributes (see `reason`)',
        body: healthSchema,
      },
    },
  },
  metrics: {
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics',
    tag: 'Operations',
    security: 'none',
    responses: { 200: { description: 'Prometheus text format', media: ['text/plain'] } },
  },
  openApi: {
    method: 'get',
    path: '/openapi.json',
    summary: 'This document',
    tag: 'Operations',
    security: 'none',
    responses: { 200: { description: 'OpenAPI 3.1', body: openApiDocumentSchema } },
  },
  docs: {
    method: 'get',
    path: '/docs',
    summary: 'This document, rendered (Swagger UI)',
    tag: 'Operations',
    security: 'none',
    responses: { 200: { description: 'HTML', media: ['text/html'] } },
  },
  docsAsset: {
    method: 'get',
    path: '/docs/:asset',
    summary: 'The scripts and styles of /docs',
    tag: 'Operations',
    security: 'none',
    params: docsAssetParams,
    responses: {
      200: { description: 'The asset', media: ['text/css', 'text/javascript'] },
      404: { description: 'No such asset', errors: ['not_found'] },
    },
  },
} satisfies Operations;

/** Every route's declaration: the document lists exactly these (test/api/openapi.test.ts holds them to the app). */
export const API_OPERATIONS: readonly Operation[] = [
  ONBOARDING_OPERATIONS,
  LIFECYCLE_OPERATIONS,
  ERASURE_OPERATIONS,
  WEBHOOK_OPERATIONS,
  CODEC_OPERATIONS,
  SERVICE_OPERATIONS,
].flatMap((operations) => Object.values(operations));

export function operationsRoutes(deps: OperationsRoutesDeps): Router {
  const router = Router();
  // Built once: the declarations do not change while the process runs.
  const openApi = buildOpenApiDocument(API_OPERATIONS, { codecAccess: deps.codecAccess });

  route(router, SERVICE_OPERATIONS.healthz, (_req, res) => {
    res.json({ status: 'ok' });
  });

  route(router, SERVICE_OPERATIONS.readyz, async (_req, res) => {
    const timeoutMs = deps.readinessTimeoutMs;
    const temporal = deps.temporal;
    // Reachable is not enough: without the namespace or its search attributes every start would fail.
    const check = temporal.withDeadline(Date.now() + timeoutMs, () =>
      checkNamespace(temporal.connection, temporal.options.namespace),
    );
    // The client's retry backoff can outlast the gRPC deadline; probes want an answer on time.
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error('readiness check timed out')), timeoutMs);
    });
    try {
      const readiness = await Promise.race([check, late]);
      if (readiness.ready) res.json({ status: 'ok', temporal: 'reachable' });
      else res.status(503).json({ status: 'unavailable', temporal: 'reachable', reason: readiness.message });
    } catch {
      check.catch(() => undefined);
      res.status(503).json({ status: 'unavailable', temporal: 'unreachable' });
    } finally {
      clearTimeout(timer);
    }
  });

  route(router, SERVICE_OPERATIONS.metrics, async (_req, res) => {
    res.type('text/plain; version=0.0.4; charset=utf-8').send(await deps.metrics.render());
  });

  route(router, SERVICE_OPERATIONS.openApi, (_req, res) => {
    res.json(openApi);
  });

  route(router, SERVICE_OPERATIONS.docs, (_req, res) => {
    res.type('html').setHeader('Content-Security-Policy', DOCS_CSP).send(DOCS_HTML);
  });

  route(router, SERVICE_OPERATIONS.docsAsset, (req, res, next) => {
    const parsed = docsAssetParams.safeParse(req.params);
    if (!parsed.success) return next(new ApiError(404, 'not_found', 'No such docs asset'));
    const asset: DocsAsset = DOCS_ASSETS[parsed.data.asset];
    res.type(asset.type).setHeader('X-Content-Type-Options', 'nosniff');
    if ('text' in asset) {
      res.send(asset.text);
      return;
    }
    res.sendFile(asset.file, { maxAge: '1h' }, (error) => {
      if (error) next(error);
    });
  });

  return router;
}
