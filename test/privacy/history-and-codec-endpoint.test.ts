/**
 * A finished onboarding seen the way ops see it: its history and description from the Temporal CLI carry no
 * registration or KYC data in clear text (every payload is ciphertext), and the API's codec endpoint, the one
 * the Temporal UI calls, decrypts them only for callers with a codec token and from the UI's origin.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Payload } from '@temporalio/common';
import request from 'supertest';
import { createApp } from '../../api/app';
import type { OnboardingLink, OnboardingStatus } from '../../api/schemas';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING } from '../../codec/aes-gcm-codec';
import { loadConfig } from '../../config';
import {
  apiEnv,
  bearer,
  captureLogs,
  createApiTestEnv,
  REGISTRATION,
  uniqueCustomerId,
  type ApiTestEnv,
} from '../api/support/api-env';
import { harness } from '../harness/env';
import { TEST_KEY_A, TEST_KEY_B, testKeyRing } from '../helpers/codec-keys';
import { HISTORIES_DIR, recordHistoryIfAsked } from '../helpers/histories';
import { SAMPLE_REGISTRATION } from '../helpers/onboarding-env';
import { waitFor } from '../helpers/wait-for';
import {
  cliShow,
  dataText,
  encodingOf,
  foundNeedles,
  keyIdOf,
  payloadsIn,
  readableText,
  registrationNeedles,
  type JsonPayload,
} from './support';

jest.setTimeout(60_000);

const CODEC_TOKEN = 'codec-token-for-the-privacy-tests';
const UI_ORIGIN = 'http://127.0.0.1:8233';

describe('personal data in Temporal history', () => {
  let env: ApiTestEnv;
  let workflowId: string;
  let history: unknown;
  let startInput: JsonPayload;

  beforeAll(async () => {
    env = await createApiTestEnv({
      env: { CODEC_ENDPOINT_TOKENS: `another-codec-token-0000,${CODEC_TOKEN}` },
    });
    const customerId = uniqueCustomerId('privacy');
    const started = await request(env.app)
      .post('/v1/onboardings')
      .set('Authorization', bearer())
      .send({ customerId, registration: REGISTRATION, callbackUrl: env.callbacks.url });
    expect(started.status).toBe(201);
    const link = started.body as OnboardingLink;
    workflowId = link.workflowId;
    await env.control.complete(link.idvId as string, { outcome: 'approved' });
    await waitFor(
      async () => {
        const status = (
          await request(env.app).get(`/v1/onboardings/${customerId}`).set('Authorization', bearer())
        ).body as OnboardingStatus;
        return status.status === 'COMPLETED' ? status : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: 'the onboarding to complete' },
    );
    history = (await cliShow(workflowId)).history;
    const events = (history as { events: Array<Record<string, { input?: { payloads: JsonPayload[] } }>> })
      .events;
    startInput = events[0].workflowExecutionStartedEventAttributes.input?.payloads[0] as JsonPayload;
  });
  afterAll(async () => {
    await env?.close();
  });

  it('holds no registration or KYC value in clear text, in the history or the description (memo)', async () => {
    const { description } = await cliShow(workflowId);
    const visible = `${readableText(history)}\n${readableText(description)}`;
    expect(foundNeedles(visible, registrationNeedles(REGISTRATION))).toEqual([]);
    expect(visible).not.toContain('"firstName"');

    // Every payload (input, activity results, query/update results, memo, result) is ciphertext under key A.
    const payloads = [...payloadsIn(history), ...payloadsIn(description)];
    expect(payloads.length).toBeGreaterThan(10);
    expect([...new Set(payloads.map(encodingOf))]).toEqual([ENCRYPTED_ENCODING]);
    const keyIds = new Set(payloads.map(keyIdOf));
    expect([...keyIds]).toEqual([TEST_KEY_A.id]);

    // The API (same key ring) still reads the run: the data is there, for those holding the key.
    const result = await env.client.workflow.getHandle(workflowId).result();
    expect(result).toMatchObject({ outcome: 'approved' });
    await recordHistoryIfAsked('encrypted-approved', env.client.workflow.getHandle(workflowId));
  });

  it('would have found the values in a history from before the codec (the check can fail)', () => {
    const plain = JSON.parse(readFileSync(path.join(HISTORIES_DIR, 'v1-approved.json'), 'utf8')) as unknown;
    const found = foundNeedles(readableText(plain), registrationNeedles(SAMPLE_REGISTRATION));
    expect(found).toEqual(
      expect.arrayContaining([SAMPLE_REGISTRATION.email, SAMPLE_REGISTRATION.personalCode, '"Ona"']),
    );
  });

  describe('the codec endpoint', () => {
    const decode = (payloads: JsonPayload[]) => request(env.app).post('/codec/decode').send({ payloads });

    it('refuses callers without a valid codec token (401)', async () => {
      const none = await decode([startInput]);
      expect(none.status).toBe(401);
      expect(none.headers['www-authenticate']).toBe('Bearer realm="onboarding-codec"');
      expect(none.body.error.code).toBe('unauthorized');

      const wrong = await decode([startInput]).set(
        'Authorization',
        'Bearer codec-token-for-the-privacy-testz',
      );
      expect(wrong.status).toBe(401);
      expect(wrong.headers['www-authenticate']).toContain('error="invalid_token"');

      // The product backend's API key is not a codec token.
      expect((await decode([startInput]).set('Authorization', bearer())).status).toBe(401);
      expect(JSON.stringify([none.body, wrong.body])).not.toContain('Zuikyt');
    });

    it('decrypts for a valid token: the registration is back', async () => {
      const response = await decode([startInput])
        .set('Authorization', `Bearer ${CODEC_TOKEN}`)
        .set('X-Namespace', harness().namespace);
      expect(response.status).toBe(200);
      expect(response.headers['cache-control']).toBe('no-store');
      const [decoded] = response.body.payloads as JsonPayload[];
      expect(encodingOf(decoded)).toBe('json/plain');
      expect(JSON.parse(dataText(decoded))).toMatchObject({
        registration: { lastName: REGISTRATION.lastName, email: REGISTRATION.email },
      });

      // Plain payloads pass through; the answer keeps the order.
      const plain = {
        metadata: { encoding: Buffer.from('json/plain').toString('base64') },
        data: Buffer.from('"stage"').toString('base64'),
      };
      const mixed = await decode([plain, startInput]).set('Authorization', `Bearer ${CODEC_TOKEN}`);
      expect((mixed.body.payloads as JsonPayload[]).map(dataText)[0]).toBe('"stage"');
      expect(dataText(mixed.body.payloads[1])).toContain(REGISTRATION.email);
    });

    it('serves the Temporal CLI (--codec-endpoint, --codec-auth): the real codec-server client', async () => {
      const decoded = await cliShow(workflowId, {
        endpoint: `${env.appUrl}/codec`,
        auth: `Bearer ${CODEC_TOKEN}`,
      });
      const readable = `${readableText(decoded.history)}\n${readableText(decoded.description)}`;
      expect(
        foundNeedles(readable, [REGISTRATION.lastName, REGISTRATION.email, REGISTRATION.personalCode]),
      ).toEqual([REGISTRATION.lastName, REGISTRATION.email, REGISTRATION.personalCode]);
    });

    it('encodes with the active key (what the UI does for a signal it sends)', async () => {
      const plain = {
        metadata: { encoding: Buffer.from('json/plain').toString('base64') },
        data: Buffer.from('{"x":1}').toString('base64'),
      };
      const encoded = await request(env.app)
        .post('/codec/encode')
        .set('Authorization', `Bearer ${CODEC_TOKEN}`)
        .send({ payloads: [plain] });
      expect(encoded.status).toBe(200);
      const [encrypted] = encoded.body.payloads as JsonPayload[];
      expect(encodingOf(encrypted)).toBe(ENCRYPTED_ENCODING);
      expect(Buffer.from(encrypted.metadata?.['encryption-key-id'] ?? '', 'base64').toString()).toBe(
        TEST_KEY_A.id,
      );
      const back = await decode([encrypted]).set('Authorization', `Bearer ${CODEC_TOKEN}`);
      expect(back.body.payloads).toEqual([plain]);
    });

    it('answers 422 naming the key for a payload under a key it does not hold, and 400/415 for bad bodies', async () => {
      const [underB] = await new AesGcmPayloadCodec(testKeyRing([TEST_KEY_B])).encode([
        { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('{}') } satisfies Payload,
      ]);
      const foreign = {
        metadata: Object.fromEntries(
          Object.entries(underB.metadata ?? {}).map(([key, value]) => [
            key,
            Buffer.from(value).toString('base64'),
          ]),
        ),
        data: Buffer.from(underB.data as Uint8Array).toString('base64'),
      };
      const refused = await decode([foreign]).set('Authorization', `Bearer ${CODEC_TOKEN}`);
      expect(refused.status).toBe(422);
      expect(refused.body.error).toEqual({
        code: 'payload_undecryptable',
        message: expect.stringContaining('key "test-b"'),
      });

      const flipped = Buffer.from(startInput.data ?? '', 'base64');
      flipped[flipped.length - 20] ^= 0x01;
      const tampered = { ...startInput, data: flipped.toString('base64') };
      expect((await decode([tampered]).set('Authorization', `Bearer ${CODEC_TOKEN}`)).status).toBe(422);

      const malformed = await decode([{ data: 'not base64!' }]).set('Authorization', `Bearer ${CODEC_TOKEN}`);
      expect(malformed.status).toBe(400);
      const notJson = await request(env.app)
        .post('/codec/decode')
        .set('Authorization', `Bearer ${CODEC_TOKEN}`)
        .set('Content-Type', 'text/plain')
        .send('payloads');
      expect(notJson.status).toBe(415);
    });

    it('serves only its own namespace', async () => {
      const other = await decode([startInput])
        .set('Authorization', `Bearer ${CODEC_TOKEN}`)
        .set('X-Namespace', 'someone-else');
      expect(other.status).toBe(403);
      expect(other.body.error.code).toBe('forbidden');
      // What the Temporal CLI sends: an empty X-Namespace names none, and `{}` is an empty list.
      const empty = await request(env.app)
        .post('/codec/decode')
        .set('Authorization', `Bearer ${CODEC_TOKEN}`)
        .set('X-Namespace', '')
        .send({});
      expect(empty.status).toBe(200);
      expect(empty.body).toEqual({ payloads: [] });
    });

    it('answers the Temporal UI’s CORS preflight, and only for the UI’s origin', async () => {
      const preflight = await request(env.app)
        .options('/codec/decode')
        .set('Origin', UI_ORIGIN)
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'content-type,x-namespace,authorization');
      expect(preflight.status).toBe(204);
      expect(preflight.headers['access-control-allow-origin']).toBe(UI_ORIGIN);
      expect(preflight.headers['access-control-allow-methods']).toContain('POST');
      expect(preflight.headers['access-control-allow-headers'].toLowerCase().split(/,\s*/).sort()).toEqual([
        'authorization',
        'content-type',
        'x-namespace',
      ]);
      expect(preflight.headers.vary).toContain('Origin');
      expect(
        (await request(env.app).options('/codec/encode').set('Origin', 'http://localhost:8233')).status,
      ).toBe(204);

      const call = await decode([startInput])
        .set('Origin', UI_ORIGIN)
        .set('Authorization', `Bearer ${CODEC_TOKEN}`);
      expect(call.status).toBe(200);
      expect(call.headers['access-control-allow-origin']).toBe(UI_ORIGIN);

      const evil = await request(env.app)
        .options('/codec/decode')
        .set('Origin', 'https://evil.example')
        .set('Access-Control-Request-Method', 'POST');
      expect(evil.status).toBe(403);
      expect(evil.headers['access-control-allow-origin']).toBeUndefined();
      const evilCall = await decode([startInput])
        .set('Origin', 'https://evil.example')
        .set('Authorization', `Bearer ${CODEC_TOKEN}`);
      expect(evilCall.status).toBe(403);
      expect(evilCall.headers['access-control-allow-origin']).toBeUndefined();
    });

    it('is open without tokens only in simulator mode, and disabled without tokens otherwise', async () => {
      const logger = captureLogs().logger;
      const open = createApp({ temporal: env.client, config: loadConfig(apiEnv()), logger });
      const opened = await request(open)
        .post('/codec/decode')
        .send({ payloads: [startInput] });
      expect(opened.status).toBe(200);
      expect(dataText(opened.body.payloads[0])).toContain(REGISTRATION.email);

      const production = loadConfig(
        apiEnv({
          ONDATO_ENV: 'production',
          ONDATO_CLIENT_ID: 'prod-client',
          ONDATO_CLIENT_SECRET: 'prod-secret',
          ONDATO_SETUP_ID: '11111111-1111-4111-8111-111111111111',
          WEBHOOK_PASSWORD: 'prod-webhook-password',
          CALLBACK_SECRET: 'prod-callback-secret',
        }),
      );
      expect(production.codec.endpointAccess).toBe('disabled');
      const closed = createApp({ temporal: env.client, config: production, logger });
      const refused = await request(closed)
        .post('/codec/decode')
        .set('Authorization', `Bearer ${CODEC_TOKEN}`)
        .send({ payloads: [startInput] });
      expect(refused.status).toBe(403);
      expect(refused.body.error.message).toContain('CODEC_ENDPOINT_TOKENS');
    });
  });
});
