/**
 * Routes own their documentation: the routes express registered (walked from the app's router stack) and the
 * operations /openapi.json lists must be the same, both ways. A control shows the walk catches an undeclared
 * route and an unrouted declaration. No worker and no Temporal call: the app only needs a client to be built.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import express, { Router, type Express } from 'express';
import request from 'supertest';
import { z } from 'zod';
import { createApp } from '../../api/app';
import { buildOpenApiDocument, openApiPath, type OpenApiDocument } from '../../api/openapi/document';
import { route, type Operation } from '../../api/route-spec';
import { createDataConverter } from '../../codec/data-converter';
import { loadConfig } from '../../config';
import { harness } from '../harness/env';
import { apiEnv, captureLogs } from './support/api-env';

interface RouterLayer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle: { stack?: RouterLayer[] };
  slash?: boolean;
}

/** `METHOD /openapi/{path}` of every route in the app, nested routers included (mounted at the root only). */
function registeredRoutes(app: Express): string[] {
  const found: string[] = [];
  const walk = (stack: RouterLayer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        for (const method of Object.keys(layer.route.methods)) {
          for (const path of paths) found.push(`${method.toUpperCase()} ${openApiPath(path)}`);
        }
      } else if (layer.handle.stack) {
        // A router mounted under a prefix would need the prefix here: none is, and this says so if one appears.
        if (!layer.slash)
          throw new Error('a router is mounted under a path: teach registeredRoutes its prefix');
        walk(layer.handle.stack);
      }
    }
  };
  walk((app.router as unknown as { stack: RouterLayer[] }).stack);
  return found.sort();
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

function documentedRoutes(document: OpenApiDocument): string[] {
  return Object.entries(document.paths ?? {})
    .flatMap(([path, item]) =>
      Object.keys(item ?? {})
        .filter((key) => METHODS.includes(key))
        .map((method) => `${method.toUpperCase()} ${path}`),
    )
    .sort();
}

function routeDrift(app: Express, document: OpenApiDocument) {
  const registered = registeredRoutes(app);
  const documented = documentedRoutes(document);
  return {
    undocumented: registered.filter((entry) => !documented.includes(entry)),
    unrouted: documented.filter((entry) => !registered.includes(entry)),
  };
}

/** The routes the README's API table names: `METHOD /path` in backticks at the start of a row. */
function readmeRoutes(): string[] {
  const readme = readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
  const section = readme.slice(
    readme.indexOf('## The API'),
    readme.indexOf('\n## ', readme.indexOf('## The API') + 1),
  );
  const rows = section.split('\n').filter((line) => line.startsWith('| `'));
  return rows
    .flatMap((row) => [...(row.split(' | ')[0] ?? '').matchAll(/`(GET|POST|PUT|DELETE) ([^`]+)`/g)])
    .map((match) => `${match[1]} ${openApiPath(match[2])}`)
    .sort();
}

describe('OpenAPI document and routes', () => {
  let connection: Connection;
  let buildApp: () => Express;

  beforeAll(() => {
    const { address, namespace } = harness();
    connection = Connection.lazy({ address });
    const config = loadConfig(apiEnv());
    const temporal = new Client({ connection, namespace, dataConverter: createDataConverter(config) });
    buildApp = () => createApp({ temporal, config, logger: captureLogs().logger });
  });
  afterAll(async () => {
    await connection.close().catch(() => undefined);
  });

  it('lists exactly the routes the app registers', async () => {
    const app = buildApp();
    const document = (await request(app).get('/openapi.json')).body as OpenApiDocument;
    expect(routeDrift(app, document)).toEqual({ undocumented: [], unrouted: [] });
    expect(registeredRoutes(app)).toContain('POST /v1/onboardings/{customerId}/review');
    expect(registeredRoutes(app)).toContain('OPTIONS /codec/decode');
  });

  it("matches the README's API table (preflights aside)", async () => {
    const document = (await request(buildApp()).get('/openapi.json')).body as OpenApiDocument;
    const documented = documentedRoutes(document).filter((entry) => !entry.startsWith('OPTIONS '));
    expect(readmeRoutes()).toEqual(documented);
  });

  it('catches a route without a declaration, and a declaration without a route (the check can fail)', async () => {
    const app = buildApp();
    const document = (await request(app).get('/openapi.json')).body as OpenApiDocument;
    app.get('/v1/undocumented', (_req, res) => void res.end());
    expect(routeDrift(app, document)).toEqual({ undocumented: ['GET /v1/undocumented'], unrouted: [] });

    const declared: Operation = {
      method: 'get',
      path: '/declared/:id',
      summary: 'declared and routed',
      tag: 'Operations',
      security: 'none',
      params: z.object({ id: z.string() }),
      responses: { 204: { description: 'nothing' } },
    };
    const router = Router();
    route(router, declared, (_req, res) => void res.status(204).end());
    const small = express();
    small.use(router);
    const withExtra = buildOpenApiDocument([declared, { ...declared, path: '/declared-only' }]);
    expect(routeDrift(small, withExtra)).toEqual({ undocumented: [], unrouted: ['GET /declared-only'] });
    // A declaration whose parameters miss the path's does not register.
    expect(() => route(router, { ...declared, path: '/declared/:id/:other' })).toThrow(/path parameters/);
  });
});
