/**
 * Every documented status of every operation, produced by a real app (Temporal dev server, worker, Ondato
 * simulator; apps without a worker, with codec tokens and a webhook allow-list, and with Temporal unreachable)
 * and each answer held to /openapi.json: the JSON Schema (2020-12, ajv) of that status, its media type and its
 * declared headers. An answer with an undocumented status fails, and so does a documented status never seen.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { Express } from 'express';
import request from 'supertest';
import { createApp } from '../../api/app';
import type { OpenApiDocument } from '../../api/openapi/document';
import { AesGcmPayloadCodec } from '../../codec/aes-gcm-codec';
import { createDataConverter } from '../../codec/data-converter';
import { loadConfig } from '../../config';
import {
  aftercareWorkflowId,
  ONBOARDING_WORKFLOW_TYPE,
  onboardingWorkflowId,
  RUN_MEMO_KEYS,
} from '../../contract';
import { TEST_KEY_B, testKeyRing } from '../helpers/codec-keys';
import { waitFor } from '../helpers/wait-for';
import {
  API_KEY,
  apiEnv,
  basicAuth,
  bearer,
  captureLogs,
  createApiTestEnv,
  envelope,
  FAST_TIMEOUTS,
  OPS_KEY,
  REGISTRATION,
  uniqueCustomerId,
  type ApiTestEnv,
} from './support/api-env';
import { closeUnreachableConnection } from '../helpers/unreachable-temporal';
import { fingerprintOf, recordNameOf } from '../../api/idempotency/fingerprint';
import { IdempotencyLedger } from '../../api/idempotency/ledger';
import { parseKeyEntries } from '../../config/api-keys';
import { createRecordStore } from '../../storage/record-store-factory';
import { closedChannelGuardInterceptors } from '../../composition/grpc-closed-channel';

interface ResponseObject {
  description: string;
  content?: Record<string, { schema?: unknown }>;
  headers?: Record<string, { required?: boolean }>;
}

const escapePointer = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * Strict ajv (2020-12) holding the whole document, so a response schema's `#/components/...` references
 * resolve in it; the document's own top-level fields are known to it as keywords that check nothing.
 */
function documentAjv(document: OpenApiDocument): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats(ajv);
  ajv.addVocabulary(['openapi', 'info', 'tags', 'paths', 'components']);
  ajv.addSchema(document as object, 'openapi.json');
  return ajv;
}

/** Validates answers against the document and remembers which documented statuses it has seen. */
class ContractCheck {
  private readonly ajv: Ajv2020;
  private readonly templates: Array<{ path: string; pattern: RegExp }>;
  readonly seen = new Set<string>();

  constructor(private readonly document: OpenApiDocument) {
    this.ajv = documentAjv(document);
    this.templates = Object.keys(document.paths ?? {}).map((path) => ({
      path,
      pattern: new RegExp(`^${path.replace(/\./g, '\\.').replace(/\{\w+\}/g, '[^/]+')}$`),
    }));
  }

  /** Every documented `METHOD path status`. */
  documentedStatuses(): string[] {
    return Object.entries(this.document.paths ?? {}).flatMap(([path, item]) =>
      Object.entries(item as Record<string, { responses: Record<string, unknown> }>).flatMap(
        ([method, operation]) =>
          Object.keys(operation.responses).map((status) => `${method.toUpperCase()} ${path} ${status}`),
      ),
    );
  }

  private operation(method: string, path: string): { responses: Record<string, ResponseObject> } {
    const item = (this.document.paths ?? {})[path] as Record<string, unknown> | undefined;
    const operation = item?.[method.toLowerCase()];
    if (!operation) throw new Error(`no documented operation for ${method} ${path}`);
    return operation as { responses: Record<string, ResponseObject> };
  }

  /** The problems of one answer; none when the document describes it. */
  problems(method: string, url: string, response: request.Response): string[] {
    const pathname = new URL(url, 'http://app').pathname;
    const template = this.templates.find(({ pattern }) => pattern.test(pathname));
    if (!template) return [`${method} ${pathname}: no documented path`];
    const key = `${method} ${template.path} ${response.status}`;
    const documented = this.operation(method, template.path).responses[String(response.status)];
    if (!documented) return [`${key}: status not documented`];
    this.seen.add(key);

    const problems: string[] = [];
    const mediaType = (response.headers['content-type'] ?? '').split(';')[0].trim();
    const content = documented.content ?? {};
    if (Object.keys(content).length === 0) {
      if (response.text) problems.push(`${key}: a body where none is documented`);
    } else if (!(mediaType in content)) {
      problems.push(`${key}: content type ${mediaType || '(none)'}, documented ${Object.keys(content)}`);
    } else if (mediaType === 'application/json') {
      const pointer = ['paths', template.path, method.toLowerCase(), 'responses', String(response.status)]
        .concat(['content', 'application/json', 'schema'])
        .map(escapePointer)
        .join('/');
      const validate = this.ajv.getSchema(`openapi.json#/${pointer}`);
      if (!validate) problems.push(`${key}: no schema at ${pointer}`);
      else if (!validate(response.body))
        problems.push(`${key}: ${this.ajv.errorsText(validate.errors)} in ${JSON.stringify(response.body)}`);
    }
    for (const [name, header] of Object.entries(documented.headers ?? {})) {
      if (header.required && response.headers[name.toLowerCase()] === undefined)
        problems.push(`${key}: documented header ${name} missing`);
    }
    return problems;
  }
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Documented statuses the scenarios below cannot produce on demand, and why. */
const NOT_PRODUCED: Record<string, string> = {
  'POST /v1/onboardings/{customerId}/retry 200':
    'only when two retries race; the race below is tried, but the second may see the new run and get a 409',
};

describe('OpenAPI document against real answers', () => {
  let env: ApiTestEnv;
  let document: OpenApiDocument;
  let contract: ContractCheck;
  /** No worker on its task queue (202s), codec tokens (401) and a webhook allow-list (403). */
  let strict: Express;
  let strictConnection: Connection;
  let strictClient: Client;
  /** Temporal unreachable (503s). */
  let down: Express;
  let downConnection: Connection;
  const startedWithoutWorker: string[] = [];
  const CODEC_TOKEN = 'openapi-test-codec-token';

  beforeAll(async () => {
    env = await createApiTestEnv();
    document = (await request(env.app).get('/openapi.json')).body as OpenApiDocument;
    contract = new ContractCheck(document);

    strictConnection = await Connection.connect({
      interceptors: closedChannelGuardInterceptors(),
      address: env.config.temporal.address,
    });
    const strictConfig = loadConfig(
      apiEnv({
        TEMPORAL_ADDRESS: env.config.temporal.address,
        TEMPORAL_NAMESPACE: env.config.temporal.namespace,
        TEMPORAL_TASK_QUEUE: `openapi-no-worker-${randomUUID()}`,
        API_START_WAIT_MS: '500',
        API_TEMPORAL_TIMEOUT_MS: '5000',
        CODEC_ENDPOINT_TOKENS: CODEC_TOKEN,
        WEBHOOK_IP_ALLOWLIST: '10.1.2.3',
      }),
    );
    strictClient = new Client({
      connection: strictConnection,
      namespace: strictConfig.temporal.namespace,
      dataConverter: createDataConverter(strictConfig),
    });
    strict = createApp({ temporal: strictClient, config: strictConfig, logger: captureLogs().logger });

    downConnection = Connection.lazy({ address: `127.0.0.1:${await closedPort()}` });
    const downConfig = loadConfig(apiEnv({ API_TEMPORAL_TIMEOUT_MS: '300', API_START_WAIT_MS: '300' }));
    down = createApp({
      temporal: new Client({ connection: downConnection, dataConverter: createDataConverter(downConfig) }),
      config: downConfig,
      logger: captureLogs().logger,
    });
  });

  afterAll(async () => {
    for (const workflowId of startedWithoutWorker) {
      await strictClient?.workflow
        .getHandle(workflowId)
        .terminate('test cleanup')
        .catch(() => undefined);
    }
    await strictConnection?.close();
    await closeUnreachableConnection(downConnection);
    await env?.close();
  });

  /** Sends the call, holds its answer to the document, and returns it. */
  async function checked(call: request.Test): Promise<request.Response> {
    const response = await call;
    const { method, url } = response.request as unknown as { method: string; url: string };
    expect(contract.problems(method, url, response)).toEqual([]);
    return response;
  }

  const api = (app: Express = env.app) => ({
    get: (path: string) => request(app).get(path).set('Authorization', bearer()),
    post: (path: string, body: object) => request(app).post(path).set('Authorization', bearer()).send(body),
  });
  /** Review, cancel, retry, resume and the list are for ops: their key, not a product backend's. */
  const ops = (app: Express = env.app) => ({
    get: (path: string) => request(app).get(path).set('Authorization', bearer(OPS_KEY)),
    post: (path: string, body: object) =>
      request(app).post(path).set('Authorization', bearer(OPS_KEY)).send(body),
  });
  const startBody = (customerId: string) => ({
    customerId,
    registration: REGISTRATION,
    timeouts: FAST_TIMEOUTS,
  });
  const stateOf = async (customerId: string) =>
    (await api().get(`/v1/onboardings/${customerId}`)).body as { stage?: string; status: string };
  const waitForState = (customerId: string, accept: (state: { stage?: string; status: string }) => boolean) =>
    waitFor(async () => (accept(await stateOf(customerId)) ? true : undefined), {
      timeoutMs: 20_000,
      intervalMs: 200,
      what: `the state of ${customerId}`,
    });

  describe('the document', () => {
    it('is valid JSON Schema 2020-12 wherever it describes a body, its references resolve', () => {
      const ajv = documentAjv(document);
      let schemas = 0;
      for (const [path, item] of Object.entries(document.paths ?? {})) {
        for (const [method, operation] of Object.entries(item ?? {})) {
          const responses = (operation as { responses: Record<string, ResponseObject> }).responses;
          for (const [status, response] of Object.entries(responses)) {
            if (!response.content?.['application/json']) continue;
            const pointer = [
              'paths',
              path,
              method,
              'responses',
              status,
              'content',
              'application/json',
              'schema',
            ]
              .map(escapePointer)
              .join('/');
            expect(ajv.getSchema(`openapi.json#/${pointer}`)).toBeDefined();
            schemas++;
          }
        }
      }
      expect(schemas).toBeGreaterThan(50);
    });
  });

  describe('every documented status, from a real app', () => {
    it('start, state, review, cancel and retry', async () => {
      const customerId = uniqueCustomerId('oa');
      const started = await checked(api().post('/v1/onboardings', startBody(customerId)));
      expect(started.status).toBe(201);
      expect((await checked(api().post('/v1/onboardings', startBody(customerId)))).status).toBe(200);
      expect((await checked(api().get(`/v1/onboardings/${customerId}`))).status).toBe(200);

      const early = await checked(
        ops().post(`/v1/onboardings/${customerId}/review`, { reviewerId: 'ops-1', decision: 'approved' }),
      );
      expect(early.body.error.code).toBe('no_review_pending');
      const running = await checked(
        ops().post(`/v1/onboardings/${customerId}/retry`, { registration: REGISTRATION }),
      );
      expect(running.body.error.code).toBe('onboarding_running');

      // Manual review, decided through the API.
      await env.control.complete(started.body.idvId as string, {
        outcome: 'approved',
        rules: [{ name: 'SelfieAndDocumentFacesMatch', status: 'Fail' }],
      });
      await waitForState(customerId, (state) => state.stage === 'manual_review');
      const reviewed = await checked(
        ops().post(`/v1/onboardings/${customerId}/review`, { reviewerId: 'ops-1', decision: 'approved' }),
      );
      expect(reviewed.status).toBe(200);
      await waitForState(customerId, (state) => state.status === 'COMPLETED');
      const approved = await checked(
        ops().post(`/v1/onboardings/${customerId}/retry`, { registration: REGISTRATION }),
      );
      expect(approved.body.error.code).toBe('onboarding_approved');
      const completed = await checked(api().post('/v1/onboardings', startBody(customerId)));
      expect(completed.body.error.code).toBe('onboarding_completed');

      // Cancelled, then retried.
      const other = uniqueCustomerId('oa');
      await checked(api().post('/v1/onboardings', startBody(other)));
      expect(
        (await checked(ops().post(`/v1/onboardings/${other}/cancel`, { requestedBy: 'backend' }))).status,
      ).toBe(200);
      await waitForState(other, (state) => state.status === 'COMPLETED');
      // The same request again joins the first (200, its result); another one is refused.
      const same = await checked(ops().post(`/v1/onboardings/${other}/cancel`, { requestedBy: 'backend' }));
      expect(same.body.outcome).toBe('cancelled');
      const twice = await checked(
        ops().post(`/v1/onboardings/${other}/cancel`, { requestedBy: 'ops', reason: 'another_request' }),
      );
      expect(twice.body.error.code).toBe('already_decided');
      const retryBody = { registration: REGISTRATION, timeouts: FAST_TIMEOUTS };
      const retried = await checked(ops().post(`/v1/onboardings/${other}/retry`, retryBody));
      expect(retried.status).toBe(201);

      // Two retries at once: one starts the run; the other joins it (200) or finds it running (409).
      await checked(ops().post(`/v1/onboardings/${other}/cancel`, { requestedBy: 'backend' }));
      await waitForState(other, (state) => state.status === 'COMPLETED');
      const race = await Promise.all([
        checked(ops().post(`/v1/onboardings/${other}/retry`, retryBody)),
        checked(ops().post(`/v1/onboardings/${other}/retry`, retryBody)),
      ]);
      expect(race.map((response) => response.status)).toContain(201);
    });

    it('Ondato refusing the verification (502)', async () => {
      await env.control.setFault({ route: 'createIdv', mode: 'status', status: 400, times: 2 });
      const customerId = uniqueCustomerId('oa');
      const refused = await checked(api().post('/v1/onboardings', startBody(customerId)));
      expect(refused.body.error.code).toBe('ondato_rejected');
      // The start answers as soon as the run knows it failed; the run closes once it told the backend.
      await waitForState(customerId, (state) => state.status === 'FAILED');
      const again = await checked(
        ops().post(`/v1/onboardings/${customerId}/retry`, { registration: REGISTRATION }),
      );
      expect(again.body.error.code).toBe('ondato_rejected');
    });

    it('resuming a parked run (200, 409)', async () => {
      const customerId = uniqueCustomerId('oa-park');
      const started = await checked(api().post('/v1/onboardings', startBody(customerId)));
      const early = await checked(
        ops().post(`/v1/onboardings/${customerId}/resume`, { requestedBy: 'ops-1' }),
      );
      expect(early.body.error.code).toBe('not_parked');
      // Ondato loses the identification once: the run parks instead of failing.
      await env.control.setFault({ route: 'getKyc', mode: 'status', status: 404, times: 1 });
      await env.control.complete(started.body.idvId as string, { outcome: 'approved' });
      await waitForState(customerId, (state) => state.stage === 'needs_attention');
      expect((await checked(api().get(`/v1/onboardings/${customerId}`))).body.attention).toMatchObject({
        reason: 'OndatoRequestRejected',
      });
      const resumed = await checked(
        ops().post(`/v1/onboardings/${customerId}/resume`, { requestedBy: 'ops-1' }),
      );
      expect(resumed.status).toBe(200);
      await waitForState(customerId, (state) => state.status === 'COMPLETED');
      const closed = await checked(
        ops().post(`/v1/onboardings/${customerId}/resume`, { note: 'another request' }),
      );
      expect(closed.body.error.code).toBe('not_parked');
    });

    it('a customer URL that does not come in time, messages no worker has run (202)', async () => {
      const customerId = uniqueCustomerId('oa-slow');
      startedWithoutWorker.push(onboardingWorkflowId(customerId));
      const slow = await checked(api(strict).post('/v1/onboardings', startBody(customerId)));
      expect(slow.status).toBe(202);
      // No worker to run them: Temporal holds each message for the run (202, what is pending).
      const held = [
        ops(strict).post(`/v1/onboardings/${customerId}/review`, {
          reviewerId: 'ops-1',
          decision: 'approved',
        }),
        ops(strict).post(`/v1/onboardings/${customerId}/cancel`, { requestedBy: 'backend' }),
        request(strict)
          .post(`/v1/onboardings/${customerId}/resume`)
          .set('Authorization', bearer(OPS_KEY))
          .send({ requestedBy: 'ops-1' }),
      ];
      for (const call of held) {
        const pending = await checked(call);
        expect(pending.status).toBe(202);
        expect(pending.body.updateStage).toBe('admitted');
      }
      await strictClient.workflow.getHandle(onboardingWorkflowId(customerId)).terminate('retried below');
      const retried = await checked(
        ops(strict).post(`/v1/onboardings/${customerId}/retry`, { registration: REGISTRATION }),
      );
      expect(retried.status).toBe(202);
    });

    it('refusals every onboarding route shares', async () => {
      // First: the readiness probe's call keeps retrying in the background for a while after its answer.
      expect((await checked(request(down).get('/readyz'))).status).toBe(503);
      const nobody = uniqueCustomerId('nobody');
      // Each action with the key it needs: start is the product backend's, the others the ops'.
      const actions = [
        ['review', { reviewerId: 'ops-1', decision: 'approved' }, OPS_KEY],
        ['cancel', { requestedBy: 'backend' }, OPS_KEY],
        ['retry', { registration: REGISTRATION }, OPS_KEY],
        ['resume', { requestedBy: 'ops-1' }, OPS_KEY],
      ] as const;
      const posts: Array<[string, object, string]> = [
        ['/v1/onboardings', startBody(nobody), API_KEY],
        ...actions.map(([action, body, key]): [string, object, string] => [
          `/v1/onboardings/${nobody}/${action}`,
          body,
          key,
        ]),
      ];
      const post = (app: Express, path: string, key: string) =>
        request(app).post(path).set('Authorization', bearer(key));
      for (const [path, body, key] of posts) {
        expect((await checked(request(env.app).post(path).send(body))).status).toBe(401);
        expect((await checked(post(env.app, path, key).send({ unknownField: true }))).status).toBe(400);
        const malformed = post(env.app, path, key)
          .set('Content-Type', 'application/json')
          .send('{"customerId": ');
        expect((await checked(malformed)).body.error.code).toBe('malformed_json');
        const text = post(env.app, path, key).set('Content-Type', 'text/plain').send('x');
        expect((await checked(text)).status).toBe(415);
        const huge = post(env.app, path, key).send({ note: 'x'.repeat(200_000) });
        expect((await checked(huge)).status).toBe(413);
        expect((await checked(post(down, path, key).send(body))).status).toBe(503);
      }
      for (const [action, body, key] of actions) {
        const path = `/v1/onboardings/${nobody}/${action}`;
        expect((await checked(post(env.app, path, key).send(body))).status).toBe(404);
      }
      // A known key of the wrong role: 403 with the role it needs, before anything else is looked at.
      for (const [action, body] of actions) {
        const productKey = await checked(api().post(`/v1/onboardings/${nobody}/${action}`, body));
        expect(productKey.status).toBe(403);
        expect(productKey.body.error.message).toMatch(/ops key/);
      }
      const opsStart = await checked(ops().post('/v1/onboardings', startBody(nobody)));
      expect(opsStart.status).toBe(403);
      expect(opsStart.body.error.message).toMatch(/API key/);
      // Ops read a run too.
      expect((await checked(ops().get(`/v1/onboardings/${nobody}`))).status).toBe(404);
      // The list: ops only, validated query, Temporal away.
      const queue = await checked(ops().get('/v1/onboardings?stage=manual_review&pageSize=5'));
      expect(queue.status).toBe(200);
      const tooMany = await checked(ops().get('/v1/onboardings?pageSize=101'));
      expect(tooMany.status).toBe(400);
      expect(tooMany.body.error.details).toEqual([{ path: 'pageSize', message: expect.any(String) }]);
      expect((await checked(request(env.app).get('/v1/onboardings'))).status).toBe(401);
      expect((await checked(api().get('/v1/onboardings'))).status).toBe(403);
      expect((await checked(ops(down).get('/v1/onboardings'))).status).toBe(503);
      expect((await checked(api().get(`/v1/onboardings/${nobody}`))).status).toBe(404);
      expect((await checked(api().get('/v1/onboardings/-bad%20id'))).status).toBe(400);
      expect((await checked(request(env.app).get(`/v1/onboardings/${nobody}`))).status).toBe(401);
      expect((await checked(api(down).get(`/v1/onboardings/${nobody}`))).status).toBe(503);
    });

    it("Ondato's webhooks", async () => {
      const deliver = (app: Express, body: unknown, auth = basicAuth()) =>
        request(app)
          .post('/webhooks/ondato')
          .set('Authorization', auth)
          .set('Content-Type', 'application/json')
          .send(typeof body === 'string' ? body : JSON.stringify(body));
      const event = envelope('IdentityVerification.StatusChanged', {
        id: 'idv-1',
        externalReferenceId: uniqueCustomerId('nobody'),
      });
      expect((await checked(deliver(env.app, event))).body.status).toBe('no_run');
      expect((await checked(deliver(env.app, '{"id":'))).body.error.code).toBe('malformed_json');
      expect((await checked(deliver(env.app, { id: 'x' }))).body.error.code).toBe('validation_failed');
      expect((await checked(deliver(env.app, event, basicAuth('ondato', 'guess')))).status).toBe(401);
      expect((await checked(deliver(strict, event))).status).toBe(403);
      const huge = { ...event, payload: { ...event.payload, note: 'x'.repeat(200_000) } };
      expect((await checked(deliver(env.app, huge))).status).toBe(413);
      expect((await checked(deliver(down, event))).status).toBe(503);
    });

    it('the codec endpoint', async () => {
      const base64 = (text: string) => Buffer.from(text).toString('base64');
      const plain = { metadata: { encoding: base64('json/plain') }, data: base64('{"stage":"x"}') };
      const codec = (operation: string, body: unknown, app: Express = env.app) =>
        request(app)
          .post(`/codec/${operation}`)
          .send(body as object);
      for (const operation of ['encode', 'decode']) {
        expect((await checked(codec(operation, { payloads: [plain] }))).status).toBe(200);
        expect((await checked(codec(operation, { payloads: [{ data: 'not base64!' }] }))).status).toBe(400);
        expect((await checked(codec(operation, { payloads: [] }, strict))).status).toBe(401);
        const wrongNamespace = codec(operation, { payloads: [] }).set('X-Namespace', 'someone-else');
        expect((await checked(wrongNamespace)).status).toBe(403);
        const huge = { payloads: [{ data: 'A'.repeat(5 * 1024 * 1024) }] };
        expect((await checked(codec(operation, huge))).status).toBe(413);
        const text = request(env.app).post(`/codec/${operation}`).set('Content-Type', 'text/plain').send('x');
        expect((await checked(text)).status).toBe(415);

        const preflight = (origin: string) =>
          request(env.app).options(`/codec/${operation}`).set('Origin', origin);
        expect((await checked(preflight('http://localhost:8233'))).status).toBe(204);
        expect((await checked(preflight('https://evil.example'))).status).toBe(403);
      }
      // Encrypted under a key this service does not hold.
      const [foreign] = await new AesGcmPayloadCodec(testKeyRing([TEST_KEY_B])).encode([
        { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('{}') },
      ]);
      const undecryptable = {
        metadata: Object.fromEntries(
          Object.entries(foreign.metadata ?? {}).map(([key, value]) => [
            key,
            Buffer.from(value).toString('base64'),
          ]),
        ),
        data: Buffer.from(foreign.data as Uint8Array).toString('base64'),
      };
      const refused = await checked(codec('decode', { payloads: [undecryptable] }));
      expect(refused.body.error.code).toBe('payload_undecryptable');
    });

    it('erasure and legal hold (ops)', async () => {
      const asOps = (call: request.Test) => call.set('Authorization', bearer(OPS_KEY));
      const erase = (customerId: string, app: Express = env.app) =>
        asOps(request(app).delete(`/v1/onboardings/${customerId}`));
      const hold = (customerId: string, body: object, app: Express = env.app) =>
        asOps(request(app).put(`/v1/onboardings/${customerId}/legal-hold`)).send(body);
      const erasure = (erasureId: string, app: Express = env.app) =>
        asOps(request(app).get(`/v1/erasures/${erasureId}`));

      // Under a legal hold: refused; the hold applies (200) and lifts.
      const heldCustomer = uniqueCustomerId('oa-held');
      expect((await checked(api().post('/v1/onboardings', startBody(heldCustomer)))).status).toBe(201);
      expect((await checked(hold(heldCustomer, { on: true, reason: 'CASE-1' }))).status).toBe(200);
      const refused = await checked(erase(heldCustomer));
      expect(refused.body.error.code).toBe('legal_hold');
      expect((await checked(hold(heldCustomer, { on: false }))).status).toBe(200);

      // An erasure held up by Ondato: accepted (202), readable while it runs, and no hold lands on it (409).
      const erased = uniqueCustomerId('oa-erased');
      expect((await checked(api().post('/v1/onboardings', startBody(erased)))).status).toBe(201);
      await env.control.setFault({ route: 'redactIdv', mode: 'status', status: 503 });
      try {
        const accepted = await checked(erase(erased));
        expect(accepted.status).toBe(202);
        const running = await checked(erasure(accepted.body.erasureId as string));
        expect(running.status).toBe(200);
        const busy = await checked(hold(erased, { on: true }));
        expect(busy.body.error.code).toBe('erasure_in_progress');
      } finally {
        await env.control.clearFaults();
      }

      // No worker: Temporal holds the hold and the erasure request (202).
      const waiting = uniqueCustomerId('oa-waiting');
      startedWithoutWorker.push(onboardingWorkflowId(waiting), aftercareWorkflowId(waiting));
      expect((await checked(api(strict).post('/v1/onboardings', startBody(waiting)))).status).toBe(202);
      expect((await checked(hold(waiting, { on: true }, strict))).status).toBe(202);
      const pending = await checked(erase(waiting, strict));
      expect(pending.body.status).toBe('pending');

      // Refusals the three routes share.
      const nobody = uniqueCustomerId('oa-nobody');
      expect((await checked(erase(nobody))).status).toBe(404);
      expect((await checked(hold(nobody, { on: true }))).status).toBe(404);
      expect((await checked(erasure('00000000-0000-4000-8000-000000000000'))).status).toBe(404);
      expect((await checked(erase('-bad%20id'))).status).toBe(400);
      expect((await checked(erasure('-bad'))).status).toBe(400);
      expect((await checked(hold(nobody, { on: 'yes' }))).status).toBe(400);
      const text = asOps(request(env.app).put(`/v1/onboardings/${nobody}/legal-hold`))
        .set('Content-Type', 'text/plain')
        .send('x');
      expect((await checked(text)).status).toBe(415);
      expect((await checked(hold(nobody, { reason: 'x'.repeat(200_000) }))).status).toBe(413);
      for (const call of [
        () => request(env.app).delete(`/v1/onboardings/${nobody}`),
        () => request(env.app).put(`/v1/onboardings/${nobody}/legal-hold`).send({ on: true }),
        () => request(env.app).get(`/v1/erasures/${nobody}`),
      ]) {
        expect((await checked(call())).status).toBe(401);
        expect((await checked(call().set('Authorization', bearer()))).status).toBe(403);
      }
      expect((await checked(erase(nobody, down))).status).toBe(503);
      expect((await checked(hold(nobody, { on: true }, down))).status).toBe(503);
      expect((await checked(erasure('00000000-0000-4000-8000-000000000000', down))).status).toBe(503);
    });

    it('health, readiness, metrics and the documentation', async () => {
      expect((await checked(request(env.app).get('/healthz'))).status).toBe(200);
      expect((await checked(request(env.app).get('/readyz'))).status).toBe(200);
      expect((await checked(request(env.app).get('/metrics'))).status).toBe(200);
      expect((await checked(request(env.app).get('/openapi.json'))).status).toBe(200);
      expect((await checked(request(env.app).get('/docs'))).status).toBe(200);
      for (const asset of ['swagger-ui.css', 'swagger-ui-bundle.js', 'docs.js']) {
        expect((await checked(request(env.app).get(`/docs/${asset}`))).status).toBe(200);
      }
      expect((await checked(request(env.app).get('/docs/index.html'))).status).toBe(404);
      expect((await checked(request(env.app).get('/docs/..%2Fpackage.json'))).status).toBe(404);
    });

    it('fresh links and re-verification (200, 201, 202, 409, 502 and the shared refusals)', async () => {
      const lifecycleBody = { registration: REGISTRATION, timeouts: FAST_TIMEOUTS };
      const approvedCustomer = async (timeouts: object = FAST_TIMEOUTS) => {
        const customerId = uniqueCustomerId('oa-life');
        const started = await checked(api().post('/v1/onboardings', { ...startBody(customerId), timeouts }));
        return { customerId, idvId: started.body.idvId as string };
      };
      const approve = async (customerId: string, idvId: string) => {
        await env.control.complete(idvId, { outcome: 'approved' });
        await waitForState(customerId, (state) => state.status === 'COMPLETED');
      };

      // A fresh link: refused while the session lives, given once Ondato expired it.
      const relinking = await approvedCustomer({ ...FAST_TIMEOUTS, relinkGraceMs: 30_000 });
      const alive = await checked(api().post(`/v1/onboardings/${relinking.customerId}/link`, {}));
      expect(alive.body.error.code).toBe('relink_not_possible');
      const open = await checked(
        api().post(`/v1/onboardings/${relinking.customerId}/reverification`, lifecycleBody),
      );
      expect(open.body.error.code).toBe('onboarding_running');
      await env.control.complete(relinking.idvId, { outcome: 'expired' });
      await waitForState(
        relinking.customerId,
        (state) => (state as { relinkOpenUntil?: string }).relinkOpenUntil !== undefined,
      );
      const relinked = await checked(api().post(`/v1/onboardings/${relinking.customerId}/link`, {}));
      expect(relinked.status).toBe(200);
      await approve(relinking.customerId, relinked.body.idvId as string);

      // Re-verification: Ondato refusing it (502), then the failed run is no approval (409).
      await env.control.setFault({ route: 'createIdv', mode: 'status', status: 400, times: 1 });
      const refused = await checked(
        api().post(`/v1/onboardings/${relinking.customerId}/reverification`, lifecycleBody),
      );
      expect(refused.body.error.code).toBe('ondato_rejected');
      await waitForState(relinking.customerId, (state) => state.status === 'FAILED');
      const notApproved = await checked(
        api().post(`/v1/onboardings/${relinking.customerId}/reverification`, lifecycleBody),
      );
      expect(notApproved.body.error.code).toBe('onboarding_not_approved');

      // Started (201), joined (200); and with no worker, accepted without a URL yet (202).
      const reverifying = await approvedCustomer();
      await approve(reverifying.customerId, reverifying.idvId);
      const held = await approvedCustomer();
      await approve(held.customerId, held.idvId);
      const path = `/v1/onboardings/${reverifying.customerId}/reverification`;
      expect((await checked(api().post(path, lifecycleBody))).status).toBe(201);
      expect((await checked(api().post(path, lifecycleBody))).status).toBe(200);
      startedWithoutWorker.push(onboardingWorkflowId(held.customerId));
      const slow = await checked(
        api(strict).post(`/v1/onboardings/${held.customerId}/reverification`, lifecycleBody),
      );
      expect(slow.status).toBe(202);

      // A fresh link no worker has applied yet: Temporal holds it (202).
      const waiting = uniqueCustomerId('oa-life-held');
      startedWithoutWorker.push(onboardingWorkflowId(waiting));
      await strictClient.workflow.start(ONBOARDING_WORKFLOW_TYPE, {
        workflowId: onboardingWorkflowId(waiting),
        taskQueue: `openapi-no-worker-${randomUUID()}`,
        args: [{ customerId: waiting, registration: REGISTRATION }],
        memo: { [RUN_MEMO_KEYS.idvId]: 'idv-held' },
      });
      const heldLink = await checked(api(strict).post(`/v1/onboardings/${waiting}/link`, {}));
      expect(heldLink.status).toBe(202);
      expect(heldLink.body).toMatchObject({ operation: 'relink', updateStage: 'admitted' });

      // What every route refuses: no key, the other role's key, bad bodies, no customer, Temporal away.
      const nobody = uniqueCustomerId('nobody');
      const post = (app: Express, target: string, key: string) =>
        request(app).post(target).set('Authorization', bearer(key));
      for (const [action, body] of [
        ['link', {}],
        ['reverification', lifecycleBody],
      ] as const) {
        const target = `/v1/onboardings/${nobody}/${action}`;
        expect((await checked(request(env.app).post(target).send(body))).status).toBe(401);
        const opsKey = await checked(post(env.app, target, OPS_KEY).send(body));
        expect(opsKey.status).toBe(403);
        expect(opsKey.body.error.message).toMatch(/API key/);
        expect((await checked(post(env.app, target, API_KEY).send({ unknownField: true }))).status).toBe(400);
        const text = post(env.app, target, API_KEY).set('Content-Type', 'text/plain').send('x');
        expect((await checked(text)).status).toBe(415);
        const huge = post(env.app, target, API_KEY).send({ note: 'x'.repeat(200_000) });
        expect((await checked(huge)).status).toBe(413);
        expect((await checked(post(env.app, target, API_KEY).send(body))).status).toBe(404);
        expect((await checked(post(down, target, API_KEY).send(body))).status).toBe(503);
      }
    });

    it('Idempotency-Key answers on every keyed POST (400, 409, 422)', async () => {
      type Parameter = { in: string; name: string };
      const keyed = Object.entries(document.paths ?? {}).flatMap(([template, item]) => {
        const post = (item as Record<string, { parameters?: Parameter[]; security?: object[] } | undefined>)
          .post;
        const takesKey = post?.parameters?.some(
          (param) => param.in === 'header' && param.name === 'Idempotency-Key',
        );
        return post && takesKey
          ? [{ template, opsOnly: JSON.stringify(post.security) === '[{"opsKey":[]}]' }]
          : [];
      });
      expect(keyed.length).toBeGreaterThanOrEqual(5);
      const keys = {
        backend: parseKeyEntries(env.config.api.keys),
        ops: parseKeyEntries(env.config.api.opsKeys),
      };
      const identityOf = (token: string) =>
        [...keys.backend, ...keys.ops].find((entry) => entry.key === token)?.identity ?? '';
      // A claim another request holds right now, made through the ledger the app uses (same store, same keys).
      const otherRequest = new IdempotencyLedger(
        createRecordStore(env.config.documents, env.config.codec.keyRing, '_idempotency'),
        { ttlMs: 60_000, leaseMs: 60_000, logger: captureLogs().logger },
      );
      for (const { template, opsOnly } of keyed) {
        const concrete = template.replace(/\{\w+\}/g, uniqueCustomerId('idem'));
        const token = opsOnly ? OPS_KEY : API_KEY;
        const post = (key: string, body: object) =>
          request(env.app)
            .post(concrete)
            .set('Authorization', bearer(token))
            .set('Idempotency-Key', key)
            .send(body);
        const invalid = await checked(post('x'.repeat(256), {}));
        expect(invalid.body.error.code).toBe('invalid_idempotency_key');
        const key = randomUUID();
        // A final refusal (the body is not one the route takes, or no such run): kept under the key.
        expect([400, 404]).toContain((await checked(post(key, { unknownField: true }))).status);
        const reused = await checked(post(key, { otherField: true }));
        expect(reused.body.error.code).toBe('idempotency_key_reused');

        const heldKey = randomUUID();
        const routePath = template.replace(/\{(\w+)\}/g, ':$1');
        const identity = identityOf(token);
        const claim = await otherRequest.claim(
          recordNameOf({ identity, method: 'POST', routePath }, heldKey),
          fingerprintOf({ identity, method: 'POST', url: concrete, body: {} }),
        );
        expect(claim.kind).toBe('claimed');
        const inFlight = await checked(post(heldKey, {}));
        expect(inFlight.body.error.code).toBe('idempotency_key_in_flight');
        expect(inFlight.headers['retry-after']).toBeDefined();
      }
    });

    it('has seen every documented status of every operation (runs last)', () => {
      const missing = contract
        .documentedStatuses()
        .filter((status) => !contract.seen.has(status) && !(status in NOT_PRODUCED));
      expect(missing).toEqual([]);
      for (const status of Object.keys(NOT_PRODUCED)) expect(contract.documentedStatuses()).toContain(status);
    });
  });
});
