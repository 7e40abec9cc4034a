/**
 * Idempotency-Key on every keyed POST, against the real app (Temporal dev server, worker, Ondato simulator):
 * a replay answers the first answer byte for byte without running again; another body is refused (422); a
 * concurrent twin is told to wait (409) or gets the same answer; a record past its TTL runs again; keys of two
 * identities never meet; the record at rest holds no personal value; a bad key is a 400; an unreachable store
 * is a 503. And the document: every keyed POST, including one declared later, documents the header.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { Router } from 'express';
import express from 'express';
import request from 'supertest';
import { z } from 'zod';
import { createApp } from '../../api/app';
import { requireRole } from '../../api/auth';
import { errorHandler } from '../../api/errors';
import { IdempotencyLedger } from '../../api/idempotency/ledger';
import { provideIdempotencyLedger } from '../../api/idempotency/middleware';
import { buildOpenApiDocument, type OpenApiDocument } from '../../api/openapi/document';
import { API_OPERATIONS } from '../../api/routes/operations';
import { route, type Operation } from '../../api/route-spec';
import { createDataConverter } from '../../codec/data-converter';
import { loadConfig } from '../../config';
import { LocalRecordStore } from '../../storage/local-record-store';
import { openRecord } from '../../storage/record-store';
import { TEST_CODEC_ENV, testKeyRing } from '../helpers/codec-keys';
import { closeUnreachableConnection } from '../helpers/unreachable-temporal';
import { waitFor } from '../helpers/wait-for';
import {
  API_KEY,
  bearer,
  captureLogs,
  createApiTestEnv,
  FAST_TIMEOUTS,
  OPS_KEY,
  REGISTRATION,
  uniqueCustomerId,
  type ApiTestEnv,
} from './support/api-env';
import { closedChannelGuardInterceptors } from '../../composition/grpc-closed-channel';

const RECORDS_FOLDER = '_idempotency';

describe('Idempotency-Key', () => {
  let env: ApiTestEnv;
  /**
   * Apps with no worker answer 202 while their start still waits in the client; they get a connection of their
   * own, closed only after their runs are terminated and those calls ran out (closing a channel under a call
   * that still retries makes grpc throw from a timer and kills the jest worker).
   */
  let idleConnection: Connection;
  let idleClient: Client;
  const idleRuns: string[] = [];

  beforeAll(async () => {
    env = await createApiTestEnv();
    idleConnection = await Connection.connect({
      interceptors: closedChannelGuardInterceptors(),
      address: env.config.temporal.address,
    });
    idleClient = new Client({
      connection: idleConnection,
      namespace: env.config.temporal.namespace,
      dataConverter: createDataConverter(env.config),
    });
  });
  afterAll(async () => {
    for (const workflowId of idleRuns) {
      await idleClient?.workflow
        .getHandle(workflowId)
        .terminate('test cleanup')
        .catch(() => undefined);
    }
    await closeUnreachableConnection(idleConnection);
    await env?.close();
  });

  const startBody = (customerId: string) => ({
    customerId,
    registration: REGISTRATION,
    timeouts: FAST_TIMEOUTS,
  });
  const start = (body: object, key?: string, token = API_KEY, app = env.app) => {
    const call = request(app).post('/v1/onboardings').set('Authorization', bearer(token));
    return (key === undefined ? call : call.set('Idempotency-Key', key)).send(body);
  };
  const recordsDir = () => path.join(env.config.documents.dir, RECORDS_FOLDER);
  const updatesAccepted = async (customerId: string) => {
    const history = await env.client.workflow.getHandle(`onboarding-${customerId}`).fetchHistory();
    return (history.events ?? []).filter((event) => event.workflowExecutionUpdateAcceptedEventAttributes)
      .length;
  };

  it('replays the first answer byte for byte, with Idempotent-Replayed, without running again', async () => {
    const customerId = uniqueCustomerId('idem');
    const key = randomUUID();
    const first = await start(startBody(customerId), key);
    expect(first.status).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const updatesBefore = await updatesAccepted(customerId);

    // The same request, its keys in another order: the same request all the same.
    const { timeouts, registration, customerId: id } = startBody(customerId);
    const again = await start({ timeouts, registration, customerId: id }, key);
    expect(again.status).toBe(201); // a join would answer 200: the handler did not run
    expect(again.text).toBe(first.text);
    expect(again.headers.location).toBe(first.headers.location);
    expect(again.headers['content-type']).toBe(first.headers['content-type']);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await updatesAccepted(customerId)).toBe(updatesBefore);

    // Without the key the same body joins the run: what a replay would have been without the ledger.
    const joined = await start(startBody(customerId));
    expect(joined.status).toBe(200);
    expect(joined.body.workflowId).toBe(first.body.workflowId);
  });

  it('refuses the same key with another body (422) and leaves the first answer in place', async () => {
    const key = randomUUID();
    const customerId = uniqueCustomerId('idem');
    expect((await start(startBody(customerId), key)).status).toBe(201);
    const other = await start(startBody(uniqueCustomerId('idem')), key);
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('idempotency_key_reused');
    const replay = await start(startBody(customerId), key);
    expect(replay.status).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
  });

  it('keeps the keys of two identities apart', async () => {
    const key = randomUUID();
    const mine = await start(startBody(uniqueCustomerId('idem')), key, API_KEY);
    const theirs = await start(startBody(uniqueCustomerId('idem')), key, 'other-key');
    expect(mine.status).toBe(201);
    expect(theirs.status).toBe(201);
    expect(theirs.headers['idempotent-replayed']).toBeUndefined();
    expect(theirs.body.workflowId).not.toBe(mine.body.workflowId);
  });

  it('answers a replay on another replica (another app over the same store) with the first answer', async () => {
    const replica = createApp({
      temporal: env.client,
      config: loadConfig(configEnvOf(env)),
      logger: captureLogs().logger,
    });
    const customerId = uniqueCustomerId('idem');
    const key = randomUUID();
    const first = await start(startBody(customerId), key);
    expect(first.status).toBe(201);
    const elsewhere = await start(startBody(customerId), key, API_KEY, replica);
    expect(elsewhere.status).toBe(201);
    expect(elsewhere.text).toBe(first.text);
    expect(elsewhere.headers['idempotent-replayed']).toBe('true');

    // Twins sent to both replicas at once: one runs, the other waits or replays.
    const twinCustomer = uniqueCustomerId('idem');
    const twinKey = randomUUID();
    const answers = await Promise.all([
      start(startBody(twinCustomer), twinKey),
      start(startBody(twinCustomer), twinKey, API_KEY, replica),
    ]);
    const ran = answers.filter((answer) => answer.status === 201 && !answer.headers['idempotent-replayed']);
    expect(ran).toHaveLength(1);
    const twin = answers.find((answer) => answer !== ran[0]);
    expect([409, 201]).toContain(twin?.status);
    if (twin?.status === 201) expect(twin.text).toBe(ran[0].text);
  });

  it('lets one of two concurrent twins run; the other is told to wait (409) or gets the same answer', async () => {
    const customerId = uniqueCustomerId('idem');
    const key = randomUUID();
    const answers = await Promise.all([start(startBody(customerId), key), start(startBody(customerId), key)]);
    const ran = answers.filter((answer) => answer.status === 201 && !answer.headers['idempotent-replayed']);
    expect(ran).toHaveLength(1);
    const twin = answers.find((answer) => answer !== ran[0]);
    if (twin?.status === 409) {
      expect(twin.body.error.code).toBe('idempotency_key_in_flight');
      expect(Number(twin.headers['retry-after'])).toBeGreaterThan(0);
    } else {
      expect(twin?.headers['idempotent-replayed']).toBe('true');
      expect(twin?.text).toBe(ran[0].text);
    }
    // Once the first answered, the twin's retry gets that answer.
    const retried = await start(startBody(customerId), key);
    expect(retried.text).toBe(ran[0].text);
    expect(retried.headers['idempotent-replayed']).toBe('true');
  });

  it('covers the ops routes under the ops identity, and replays a final refusal', async () => {
    const customerId = uniqueCustomerId('idem');
    expect((await start(startBody(customerId))).status).toBe(201);
    const cancel = (body: object, key: string) =>
      request(env.app)
        .post(`/v1/onboardings/${customerId}/cancel`)
        .set('Authorization', bearer(OPS_KEY))
        .set('Idempotency-Key', key)
        .send(body);
    const key = randomUUID();
    const cancelled = await cancel({ reason: 'duplicate customer' }, key);
    expect(cancelled.status).toBe(200);
    const updatesBefore = await updatesAccepted(customerId);
    const replayed = await cancel({ reason: 'duplicate customer' }, key);
    expect(replayed.status).toBe(200);
    expect(replayed.text).toBe(cancelled.text);
    expect(replayed.headers['idempotent-replayed']).toBe('true');
    expect(await updatesAccepted(customerId)).toBe(updatesBefore);

    // A validation refusal is final too: the same invalid body gets it back from the ledger.
    const badKey = randomUUID();
    const invalid = await cancel({ reason: 42 }, badKey);
    expect(invalid.status).toBe(400);
    const invalidAgain = await cancel({ reason: 42 }, badKey);
    expect(invalidAgain.headers['idempotent-replayed']).toBe('true');
    expect(invalidAgain.text).toBe(invalid.text);
  });

  it('keeps no 202: a start still waiting for its URL is asked again on a retry', async () => {
    const noWorker = createApp({
      temporal: idleClient,
      config: loadConfig({
        ...configEnvOf(env),
        TEMPORAL_TASK_QUEUE: `idempotency-no-worker-${randomUUID()}`,
        API_START_WAIT_MS: '300',
      }),
      logger: captureLogs().logger,
    });
    const customerId = uniqueCustomerId('idem');
    idleRuns.push(`onboarding-${customerId}`);
    const key = randomUUID();
    const first = await start(startBody(customerId), key, API_KEY, noWorker);
    expect(first.status).toBe(202);
    const again = await start(startBody(customerId), key, API_KEY, noWorker);
    expect(again.status).toBe(202);
    expect(again.headers['idempotent-replayed']).toBeUndefined();
  });

  it('holds the key while a request whose caller went away still runs (409), then frees it', async () => {
    const slow = createApp({
      temporal: idleClient,
      config: loadConfig({
        ...configEnvOf(env),
        TEMPORAL_TASK_QUEUE: `idempotency-no-worker-${randomUUID()}`,
        API_START_WAIT_MS: '3000',
      }),
      logger: captureLogs().logger,
    });
    const server = slow.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/v1/onboardings`;
    const customerId = uniqueCustomerId('idem');
    idleRuns.push(`onboarding-${customerId}`);
    const key = randomUUID();
    const send = (signal?: AbortSignal) =>
      fetch(url, {
        method: 'POST',
        headers: { authorization: bearer(), 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify(startBody(customerId)),
        signal,
      });
    try {
      // The caller gives up after 300 ms; the start goes on waiting for its URL (no worker) for 3 s.
      await expect(send(AbortSignal.timeout(300))).rejects.toThrow();
      const meanwhile = await send();
      expect(meanwhile.status).toBe(409);
      expect(((await meanwhile.json()) as { error: { code: string } }).error.code).toBe(
        'idempotency_key_in_flight',
      );
      expect(meanwhile.headers.get('retry-after')).toBe('1');
      // The abandoned start answered 202 (not kept): the key is free again and the next request runs.
      const later = await waitFor(
        async () => {
          const answer = await send();
          return answer.status === 409 ? undefined : answer;
        },
        { timeoutMs: 15_000, intervalMs: 200, what: 'the abandoned claim to settle' },
      );
      expect(later.status).toBe(202);
      expect(later.headers.get('idempotent-replayed')).toBeNull();
    } finally {
      server.close();
      server.closeAllConnections();
    }
  });

  it('refuses a key that is not 1-255 printable ASCII characters (400)', async () => {
    const body = startBody(uniqueCustomerId('idem'));
    for (const key of ['', 'x'.repeat(256), 'tab\tinside', 'caf\u00e9']) {
      const answer = await start(body, key);
      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe('invalid_idempotency_key');
    }
    expect((await start(body, 'x'.repeat(255))).status).toBe(201);
  });

  it('keeps no personal value at rest: the request as a digest, the answer encrypted', async () => {
    const customerId = uniqueCustomerId('idem');
    const key = `privacy-${randomUUID()}`;
    expect((await start(startBody(customerId), key)).status).toBe(201);
    const names = readdirSync(recordsDir());
    expect(names.length).toBeGreaterThan(0);
    const personal = [
      REGISTRATION.firstName,
      REGISTRATION.lastName,
      REGISTRATION.email,
      REGISTRATION.personalCode,
      REGISTRATION.dateOfBirth,
      String(REGISTRATION.phoneNumber),
    ];
    for (const name of names) {
      expect(name).not.toContain(key);
      const raw = readFileSync(path.join(recordsDir(), name));
      for (const value of [...personal, customerId, key]) {
        expect(raw.includes(Buffer.from(value))).toBe(false);
      }
      // Opened with the key ring: the record holds the answer (ids and URL), never the registration.
      const plain = (await openRecord(testKeyRing(), raw, name)).toString('utf8');
      for (const value of personal) expect(plain).not.toContain(value);
    }
    // The control: the record of this request does hold its answer (so the search above looked at the right thing).
    const opened = await Promise.all(
      names.map(async (name) =>
        (await openRecord(testKeyRing(), readFileSync(path.join(recordsDir(), name)), name)).toString('utf8'),
      ),
    );
    const answers = opened.map((text) => JSON.parse(text) as { answer?: { body: string } });
    expect(
      answers.some((record) =>
        Buffer.from(record.answer?.body ?? '', 'base64')
          .toString('utf8')
          .includes(customerId),
      ),
    ).toBe(true);
  });

  it('drops a record that was altered at rest and runs the request again', async () => {
    const customerId = uniqueCustomerId('idem');
    const key = randomUUID();
    const before = new Set(readdirSync(recordsDir()));
    expect((await start(startBody(customerId), key)).status).toBe(201);
    const [name] = readdirSync(recordsDir()).filter((entry) => !before.has(entry));
    const file = path.join(recordsDir(), name);
    const raw = readFileSync(file);
    raw[raw.length - 1] ^= 0xff; // the auth tag: GCM refuses the record
    writeFileSync(file, raw);
    const again = await start(startBody(customerId), key);
    expect(again.status).toBe(200); // ran: joined the run, nothing replayed from a record it cannot trust
    expect(again.headers['idempotent-replayed']).toBeUndefined();
    expect(env.logs.text()).toContain('idempotency record unreadable; dropped');
  });

  it('runs the request again once the record expired (short IDEMPOTENCY_TTL_HOURS)', async () => {
    const shortLived = createApp({
      temporal: env.client,
      config: loadConfig({
        ...configEnvOf(env),
        IDEMPOTENCY_TTL_HOURS: String(1.5 / 3600), // 1.5 s
      }),
      logger: captureLogs().logger,
    });
    const customerId = uniqueCustomerId('idem');
    const key = randomUUID();
    expect((await start(startBody(customerId), key, API_KEY, shortLived)).status).toBe(201);
    const replay = await start(startBody(customerId), key, API_KEY, shortLived);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    await new Promise((resolve) => setTimeout(resolve, 1_700));
    const afterTtl = await start(startBody(customerId), key, API_KEY, shortLived);
    expect(afterTtl.status).toBe(200); // ran again: joined the run
    expect(afterTtl.headers['idempotent-replayed']).toBeUndefined();
  });

  it('answers 503 when the store of keys is unusable, and runs nothing', async () => {
    const notADirectory = path.join(env.config.documents.dir, 'not-a-directory');
    writeFileSync(notADirectory, 'a file where the store wants a folder');
    const broken = createApp({
      temporal: env.client,
      config: loadConfig({ ...configEnvOf(env), DOCUMENT_DIR: notADirectory }),
      logger: captureLogs().logger,
    });
    const customerId = uniqueCustomerId('idem');
    const answer = await start(startBody(customerId), randomUUID(), API_KEY, broken);
    expect(answer.status).toBe(503);
    expect(answer.body.error.code).toBe('idempotency_store_unavailable');
    expect(answer.headers['retry-after']).toBeDefined();
    expect(
      (await request(env.app).get(`/v1/onboardings/${customerId}`).set('Authorization', bearer())).status,
    ).toBe(404);
  });
});

/** The environment the test env's config came from, rebuilt from its sections (same Temporal, same store). */
function configEnvOf(env: ApiTestEnv): Record<string, string> {
  const { config } = env;
  return {
    NODE_ENV: 'test',
    API_KEYS: config.api.keys.join(','),
    API_OPS_KEYS: config.api.opsKeys.join(','),
    API_START_WAIT_MS: String(config.api.startWaitMs),
    API_TEMPORAL_TIMEOUT_MS: String(config.api.temporalTimeoutMs),
    TEMPORAL_ADDRESS: config.temporal.address,
    TEMPORAL_NAMESPACE: config.temporal.namespace,
    TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
    ...TEST_CODEC_ENV,
    DOCUMENT_DIR: config.documents.dir,
    CALLBACK_ALLOW_PRIVATE_TARGETS: 'true',
    CALLBACK_ALLOWED_URLS: env.callbacks.url,
  };
}

describe('Idempotency-Key in the document', () => {
  const keyedSecurity = new Set(['apiKey', 'opsKey', 'apiKeyOrOpsKey']);
  /** A POST declared after this feature, by someone who never heard of it. */
  const lateComer: Operation = {
    method: 'post',
    path: '/v1/late-comer/:id',
    summary: 'a route added later',
    tag: 'Onboardings',
    security: 'apiKey',
    params: z.object({ id: z.string() }),
    body: { schema: z.object({ value: z.number() }) },
    responses: { 200: { description: 'done', body: z.object({ count: z.number() }) } },
  };

  type DocumentOperation = {
    security?: unknown[];
    parameters?: Array<{ in: string; name: string; schema?: { maxLength?: number } }>;
    responses: Record<string, { description: string }>;
  };
  const postsOf = (document: OpenApiDocument) =>
    Object.entries(document.paths ?? {}).flatMap(([docPath, item]) => {
      const post = (item as Record<string, DocumentOperation | undefined>).post;
      return post ? [{ path: docPath, post }] : [];
    });

  it('documents the header, 409 and 422 on every POST with a keyed caller, a route added later included', () => {
    const document = buildOpenApiDocument([...API_OPERATIONS, lateComer]);
    const declared = new Map([...API_OPERATIONS, lateComer].map((op) => [`${op.method} ${op.path}`, op]));
    const keyed = postsOf(document).filter(({ path: docPath }) => {
      const operation = [...declared.values()].find(
        (op) => op.method === 'post' && op.path.replace(/:(\w+)/g, '{$1}') === docPath,
      );
      return operation !== undefined && keyedSecurity.has(operation.security);
    });
    expect(keyed.map(({ path: docPath }) => docPath)).toEqual(
      expect.arrayContaining([
        '/v1/onboardings',
        '/v1/onboardings/{customerId}/review',
        '/v1/late-comer/{id}',
      ]),
    );
    for (const { path: docPath, post } of keyed) {
      const header = post.parameters?.find(
        (param) => param.in === 'header' && param.name === 'Idempotency-Key',
      );
      expect({ path: docPath, header: header?.schema?.maxLength }).toEqual({ path: docPath, header: 255 });
      for (const status of ['400', '409', '422', '503'])
        expect({ path: docPath, status, documented: status in post.responses }).toEqual({
          path: docPath,
          status,
          documented: true,
        });
      expect(post.responses['409'].description).toMatch(/Idempotency-Key/);
    }
  });

  it('leaves out the POSTs without a keyed caller (the webhook relay, the codec endpoint)', () => {
    const document = buildOpenApiDocument(API_OPERATIONS);
    const unkeyed = postsOf(document).filter(({ path: docPath }) =>
      ['/webhooks/ondato', '/codec/decode', '/codec/encode'].includes(docPath),
    );
    expect(unkeyed.length).toBeGreaterThan(0);
    for (const { post } of unkeyed) {
      expect(post.parameters?.some((param) => param.name === 'Idempotency-Key') ?? false).toBe(false);
      for (const response of Object.values(post.responses))
        expect(response.description).not.toMatch(/Idempotency-Key/);
    }
  });

  it('guards a POST declared through route() with no extra step by its author', async () => {
    const router = Router();
    let runs = 0;
    route(
      router,
      lateComer,
      requireRole({ backend: [{ identity: 'late', key: 'late-key' }], ops: [] }, ['backend'], 'count'),
      express.json(),
      (_req, res) => {
        runs++;
        res.json({ count: runs });
      },
    );
    const app = express();
    const store = new LocalRecordStore(path.join(tmpdir(), `late-comer-${randomUUID()}`), testKeyRing());
    provideIdempotencyLedger(
      app,
      new IdempotencyLedger(store, { ttlMs: 60_000, leaseMs: 5_000, logger: captureLogs().logger }),
    );
    app.use(router);
    app.use(errorHandler(captureLogs().logger));
    const call = (key: string, value: number) =>
      request(app)
        .post('/v1/late-comer/1')
        .set('Authorization', 'Bearer late-key')
        .set('Idempotency-Key', key)
        .send({ value });
    expect((await call('k1', 1)).body).toEqual({ count: 1 });
    expect((await call('k1', 1)).body).toEqual({ count: 1 });
    expect((await call('k1', 2)).status).toBe(422);
    expect((await call('k2', 1)).body).toEqual({ count: 2 });
    expect(runs).toBe(2);
  });
});
