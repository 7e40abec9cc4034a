/**
 * The API's surface without a worker: authentication, validation, the error shape, documentation, health,
 * metrics, the webhook IP allow-list, a start whose URL does not come in time (202), and Temporal being
 * unreachable (503). Apps talk to the shared dev server, or to a closed port for the outage cases.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import type { Express } from 'express';
import request from 'supertest';
import { createApp } from '../../api/app';
import { createDataConverter } from '../../codec/data-converter';
import { loadConfig } from '../../config';
import { CUSTOMER_ID_PATTERN, onboardingWorkflowId } from '../../contract';
import { harness } from '../harness/env';
import {
  apiEnv,
  basicAuth,
  bearer,
  captureLogs,
  envelope,
  OPS_KEY,
  REGISTRATION,
  uniqueCustomerId,
  type LogCapture,
} from './support/api-env';
import { closeUnreachableConnection } from '../helpers/unreachable-temporal';
import { closedChannelGuardInterceptors } from '../../composition/grpc-closed-channel';

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('API surface', () => {
  const { address, namespace } = harness();
  let connection: Connection;
  let client: Client;
  let app: Express;
  let logs: LogCapture;
  const noWorkerQueue = `api-no-worker-${randomUUID()}`;
  const startedWithoutWorker: string[] = [];

  beforeAll(async () => {
    connection = await Connection.connect({ interceptors: closedChannelGuardInterceptors(), address });
    logs = captureLogs();
    const config = loadConfig(
      apiEnv({
        TEMPORAL_TASK_QUEUE: noWorkerQueue,
        API_START_WAIT_MS: '500',
        // Generous: the test run shares two cores with other suites' servers, and a slow describe is not a 503.
        API_TEMPORAL_TIMEOUT_MS: '5000',
      }),
    );
    client = new Client({ connection, namespace, dataConverter: createDataConverter(config) });
    app = createApp({ temporal: client, config, logger: logs.logger });
  });
  afterAll(async () => {
    for (const workflowId of startedWithoutWorker) {
      await client.workflow
        .getHandle(workflowId)
        .terminate('test cleanup')
        .catch(() => undefined);
    }
    await connection.close();
  });

  const startBody = (overrides: Record<string, unknown> = {}) => ({
    customerId: 'c-1',
    registration: REGISTRATION,
    ...overrides,
  });

  describe('API keys', () => {
    it('answers 401 with WWW-Authenticate without a valid bearer key', async () => {
      const none = await request(app).get('/v1/onboardings/c-1');
      expect(none.status).toBe(401);
      expect(none.headers['www-authenticate']).toBe('Bearer realm="onboarding-api"');
      expect(none.body).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });

      const wrong = await request(app)
        .post('/v1/onboardings')
        .set('Authorization', bearer('guess'))
        .send(startBody());
      expect(wrong.status).toBe(401);
      expect(wrong.headers['www-authenticate']).toContain('error="invalid_token"');

      const basic = await request(app).get('/v1/onboardings/c-1').set('Authorization', basicAuth());
      expect(basic.status).toBe(401);
    });

    it('accepts any configured key', async () => {
      for (const key of ['other-key', 'test-api-key']) {
        const response = await request(app)
          .get(`/v1/onboardings/${uniqueCustomerId('none')}`)
          .set('Authorization', bearer(key));
        expect(response.status).toBe(404);
      }
    });
  });

  describe('validation and the error shape', () => {
    const invalidBodies: Array<[string, Record<string, unknown>, string[]]> = [
      ['missing fields', {}, ['customerId', 'registration']],
      ['unsafe customer id', startBody({ customerId: 'c 1/../x' }), ['customerId']],
      ['bad email', startBody({ registration: { email: 'not-an-email' } }), ['registration.email']],
      [
        'impossible date',
        startBody({ registration: { dateOfBirth: '2023-02-29' } }),
        ['registration.dateOfBirth'],
      ],
      [
        'future birth date',
        startBody({ registration: { dateOfBirth: '2999-01-01' } }),
        ['registration.dateOfBirth'],
      ],
      [
        'date in another format',
        startBody({ registration: { dateOfBirth: '01/02/1990' } }),
        ['registration.dateOfBirth'],
      ],
      [
        'phone with a leading zero',
        startBody({ registration: { phoneNumber: '0612345678' } }),
        ['registration.phoneNumber'],
      ],
      [
        'phone with letters',
        startBody({ registration: { phoneNumber: '+370 6123' } }),
        ['registration.phoneNumber'],
      ],
      [
        'fractional phone',
        startBody({ registration: { phoneNumber: 3706.5 } }),
        ['registration.phoneNumber'],
      ],
      [
        'lower-case country',
        startBody({ registration: { countryCode: 'lt' } }),
        ['registration.countryCode'],
      ],
      ['not a country', startBody({ registration: { countryCode: 'EU' } }), ['registration.countryCode']],
      ['setup id not a uuid', startBody({ setupId: 'setup-1' }), ['setupId']],
      ['callback not http', startBody({ callbackUrl: 'ftp://backend.example.com/hook' }), ['callbackUrl']],
      ['zero poll interval', startBody({ timeouts: { pollIntervalMs: 0 } }), ['timeouts.pollIntervalMs']],
      [
        'fractional deadline',
        startBody({ timeouts: { customerDeadlineMs: 1500.5 } }),
        ['timeouts.customerDeadlineMs'],
      ],
      ['unknown field', startBody({ customer: 'x' }), ['(body)']],
      ['unknown registration field', startBody({ registration: { nickname: 'x' } }), ['registration']],
    ];

    it.each(invalidBodies)('refuses %s with 400 and field details', async (_name, body, paths) => {
      const response = await request(app).post('/v1/onboardings').set('Authorization', bearer()).send(body);
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('validation_failed');
      const reported = (response.body.error.details as Array<{ path: string; message: string }>).map(
        (d) => d.path,
      );
      expect(reported.sort()).toEqual([...paths].sort());
    });

    it('maps unreadable bodies to their own codes', async () => {
      const malformed = await request(app)
        .post('/v1/onboardings')
        .set('Authorization', bearer())
        .set('Content-Type', 'application/json')
        .send('{"customerId": "c-1",');
      expect(malformed.status).toBe(400);
      expect(malformed.body.error.code).toBe('malformed_json');

      const notJson = await request(app)
        .post('/v1/onboardings')
        .set('Authorization', bearer())
        .set('Content-Type', 'text/plain')
        .send('customerId=c-1');
      expect(notJson.status).toBe(415);
      expect(notJson.body.error.code).toBe('unsupported_media_type');

      const huge = await request(app)
        .post('/v1/onboardings')
        .set('Authorization', bearer())
        .send(startBody({ registration: { firstName: 'x'.repeat(200_000) } }));
      expect(huge.status).toBe(413);
      expect(huge.body.error.code).toBe('payload_too_large');
    });

    it('answers unknown routes with a JSON 404 and never leaks internals', async () => {
      const response = await request(app).get('/v2/whatever');
      expect(response.status).toBe(404);
      expect(response.body).toEqual({
        error: { code: 'not_found', message: 'No route for GET /v2/whatever' },
      });
      expect(response.headers['x-powered-by']).toBeUndefined();
      expect(JSON.stringify(response.body)).not.toMatch(/\bat \w|node_modules/);
    });

    it('echoes a safe X-Request-Id and replaces an unsafe one', async () => {
      const kept = await request(app).get('/healthz').set('X-Request-Id', 'req-123');
      expect(kept.headers['x-request-id']).toBe('req-123');
      const replaced = await request(app).get('/healthz').set('X-Request-Id', 'bad id; drop table');
      expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });
  });

  describe('a start whose customer URL does not come in time', () => {
    it('answers 202 with the run and no URL yet, then 202 joined, and reports the run as running', async () => {
      const customerId = uniqueCustomerId('slow');
      startedWithoutWorker.push(onboardingWorkflowId(customerId));
      const first = await request(app)
        .post('/v1/onboardings')
        .set('Authorization', bearer())
        .send(startBody({ customerId }));
      expect(first.status).toBe(202);
      expect(first.body).toMatchObject({
        workflowId: onboardingWorkflowId(customerId),
        created: true,
        stage: 'creating_verification',
        customerUrl: null,
        idvId: null,
      });

      const second = await request(app)
        .post('/v1/onboardings')
        .set('Authorization', bearer())
        .send(startBody({ customerId }));
      expect(second.status).toBe(202);
      expect(second.body).toMatchObject({ runId: first.body.runId, created: false });

      // No worker answers the query: the state comes from the run's summary, flagged as partial.
      const state = await request(app).get(`/v1/onboardings/${customerId}`).set('Authorization', bearer());
      expect(state.status).toBe(200);
      expect(state.body).toMatchObject({ status: 'RUNNING', runId: first.body.runId, partial: true });
    });
  });

  describe('documentation', () => {
    it('serves an OpenAPI 3.1 document generated from the request schemas', async () => {
      const response = await request(app).get('/openapi.json');
      expect(response.status).toBe(200);
      const document = response.body;
      expect(document.openapi).toBe('3.1.0');
      expect(Object.keys(document.paths).sort()).toEqual(
        [
          '/codec/decode',
          '/codec/encode',
          '/docs',
          '/docs/{asset}',
          '/healthz',
          '/metrics',
          '/openapi.json',
          '/readyz',
          '/v1/onboardings',
          '/v1/onboardings/{customerId}',
          '/v1/onboardings/{customerId}/cancel',
          '/v1/onboardings/{customerId}/legal-hold',
          '/v1/onboardings/{customerId}/link',
          '/v1/onboardings/{customerId}/resume',
          '/v1/onboardings/{customerId}/retry',
          '/v1/onboardings/{customerId}/reverification',
          '/v1/onboardings/{customerId}/review',
          '/v1/erasures/{erasureId}',
          '/webhooks/ondato',
        ].sort(),
      );
      const start = document.components.schemas.StartOnboardingRequest;
      expect(start.properties.customerId.pattern).toBe(CUSTOMER_ID_PATTERN.source);
      expect(start.required).toEqual(['customerId', 'registration']);
      expect(start.additionalProperties).toBe(false);
      expect(document.components.schemas.Registration.properties.phoneNumber.anyOf).toHaveLength(2);
      expect(document.paths['/v1/onboardings'].post.requestBody.content['application/json'].schema).toEqual({
        $ref: '#/components/schemas/StartOnboardingRequest',
      });
      // Every reference points at a component that exists.
      const refs = JSON.stringify(document).match(/#\/components\/schemas\/\w+/g) ?? [];
      for (const ref of new Set(refs))
        expect(document.components.schemas).toHaveProperty(ref.split('/').pop() as string);
    });

    it('renders the docs with Swagger UI served by this service alone', async () => {
      const response = await request(app).get('/docs');
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/html/);
      const csp = response.headers['content-security-policy'];
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toMatch(/unsafe-|https?:/);
      // No inline script, nothing from elsewhere: every script and stylesheet is one of ours.
      expect(response.text).not.toMatch(/<script(?![^>]*\bsrc=)/i);
      expect(response.text).not.toMatch(/https?:\/\//);
      const loaded = [...response.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]);
      expect(loaded.filter((url) => url !== 'data:,')).toEqual([
        '/docs/swagger-ui.css',
        '/docs/swagger-ui-bundle.js',
        '/docs/docs.js',
      ]);
      for (const url of loaded.filter((url) => url.startsWith('/'))) {
        const asset = await request(app).get(url);
        expect({ url, status: asset.status }).toEqual({ url, status: 200 });
        expect(asset.headers['content-type']).toMatch(
          url.endsWith('.css') ? /^text\/css/ : /^text\/javascript/,
        );
      }
      expect((await request(app).get('/docs/docs.js')).text).toContain("url: '/openapi.json'");
      // What the page renders comes from the document.
      const document = JSON.stringify((await request(app).get('/openapi.json')).body);
      for (const text of [
        '/v1/onboardings/{customerId}/review',
        '/webhooks/ondato',
        'onboarding_completed',
        'StartOnboardingRequest',
      ]) {
        expect(document).toContain(text);
      }
      // Nothing else of the package is reachable.
      expect((await request(app).get('/docs/index.html')).status).toBe(404);
    });
  });

  describe('operations', () => {
    it('reports liveness, readiness and metrics', async () => {
      expect((await request(app).get('/healthz')).body).toEqual({ status: 'ok' });
      const ready = await request(app).get('/readyz');
      expect(ready.status).toBe(200);
      expect(ready.body).toEqual({ status: 'ok', temporal: 'reachable' });

      await request(app).get('/nowhere/at/all');
      const metrics = await request(app).get('/metrics');
      expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
      expect(metrics.text).toContain('# TYPE onboarding_api_http_requests_total counter');
      expect(metrics.text).toMatch(
        /onboarding_api_http_requests_total\{method="GET",route="\/healthz",status="200"\} \d+/,
      );
      expect(metrics.text).toMatch(/route="unmatched",status="404"/);
      expect(metrics.text).toMatch(
        /onboarding_api_http_request_duration_seconds_bucket\{le="\+Inf",method="GET",route="\/readyz"\} 1/,
      );
      expect(metrics.text).not.toContain('/nowhere');
    });

    it('logs one line per request with ids, route, status and latency only', async () => {
      await request(app)
        .post('/v1/onboardings')
        .set('Authorization', bearer())
        .send(startBody({ customerId: 'bad id' }));
      const line = logs.lines
        .map((text) => JSON.parse(text))
        .find((entry) => entry.errorCode === 'validation_failed');
      expect(line).toMatchObject({ msg: 'request', method: 'POST', route: '/v1/onboardings', status: 400 });
      expect(line.reqId).toEqual(expect.any(String));
      expect(line.latencyMs).toEqual(expect.any(Number));
      expect(logs.text()).not.toContain(REGISTRATION.email);
      expect(logs.text()).not.toContain(bearer());
    });
  });

  describe('webhook source allow-list', () => {
    let listed: Express;
    beforeAll(() => {
      const config = loadConfig(
        apiEnv({
          WEBHOOK_IP_ALLOWLIST: '10.1.2.3, 192.168.0.0/16',
          WEBHOOK_TRUST_PROXY: 'true',
          API_TEMPORAL_TIMEOUT_MS: '1000',
        }),
      );
      listed = createApp({ temporal: client, config, logger: logs.logger });
    });
    const deliver = (forwardedFor?: string) => {
      const call = request(listed).post('/webhooks/ondato').set('Authorization', basicAuth());
      if (forwardedFor) call.set('X-Forwarded-For', forwardedFor);
      return call.send(
        envelope('IdentityVerification.StatusChanged', {
          id: 'idv-1',
          externalReferenceId: uniqueCustomerId(),
        }),
      );
    };

    it('refuses other sources with 403 before looking at credentials', async () => {
      const direct = await deliver();
      expect(direct.status).toBe(403);
      expect(direct.body.error.code).toBe('forbidden');
      // Only the hop our proxy appended counts; what the sender put first does not.
      expect((await deliver('10.1.2.3, 6.6.6.6')).status).toBe(403);
    });

    it('lets listed addresses and ranges through', async () => {
      for (const forwardedFor of ['6.6.6.6, 10.1.2.3', '192.168.44.5', '::ffff:10.1.2.3']) {
        const response = await deliver(forwardedFor);
        expect({ forwardedFor, status: response.status, body: response.body }).toEqual({
          forwardedFor,
          status: 200,
          body: { status: 'no_run', workflowId: expect.any(String) },
        });
      }
    });
  });

  describe('when Temporal is unreachable', () => {
    let down: Express;
    let downConnection: Connection;
    beforeAll(async () => {
      downConnection = Connection.lazy({ address: `127.0.0.1:${await closedPort()}` });
      // Short deadlines: every call here is expected to time out.
      const config = loadConfig(apiEnv({ API_TEMPORAL_TIMEOUT_MS: '300', API_START_WAIT_MS: '300' }));
      down = createApp({
        temporal: new Client({
          connection: downConnection,
          namespace,
          dataConverter: createDataConverter(config),
        }),
        config,
        logger: logs.logger,
      });
    });
    afterAll(async () => {
      await closeUnreachableConnection(downConnection);
    });

    it('answers webhooks with 503 so Ondato redelivers', async () => {
      const response = await request(down)
        .post('/webhooks/ondato')
        .set('Authorization', basicAuth())
        .send(envelope('IdentityVerification.StatusChanged', { id: 'idv-1', externalReferenceId: 'c-1' }));
      expect(response.status).toBe(503);
      expect(response.body.error.code).toBe('temporal_unavailable');
      expect(response.headers['retry-after']).toBeDefined();
    });

    it('is not ready, and says so on every onboarding route', async () => {
      const ready = await request(down).get('/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body).toEqual({ status: 'unavailable', temporal: 'unreachable' });
      expect((await request(down).get('/healthz')).status).toBe(200);

      const responses = [
        await request(down).post('/v1/onboardings').set('Authorization', bearer()).send(startBody()),
        await request(down).get('/v1/onboardings/c-1').set('Authorization', bearer()),
        await request(down)
          .post('/v1/onboardings/c-1/cancel')
          .set('Authorization', bearer(OPS_KEY))
          .send({ requestedBy: 'ops' }),
        await request(down).get('/v1/onboardings?stage=manual_review').set('Authorization', bearer(OPS_KEY)),
      ];
      for (const response of responses) {
        expect(response.status).toBe(503);
        expect(response.body.error.code).toBe('temporal_unavailable');
      }
    });
  });
});
