/**
 * The payload codec and its key ring on their own: what an encrypted payload looks like, rotation, loud
 * failures (unknown key, tampering), plain payloads passing through, and the configuration rules.
 */
import { inspect } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import pino from 'pino';
import { createApp } from '../../api/app';
import {
  AesGcmPayloadCodec,
  CIPHER_METADATA_KEY,
  ENCRYPTED_ENCODING,
  KEY_ID_METADATA_KEY,
  PayloadDecryptionError,
  payloadKeyId,
} from '../../codec/aes-gcm-codec';
import { dataConverterFromKeys, encryptsPayloads } from '../../codec/data-converter';
import { KeyRing, UnknownEncryptionKeyError } from '../../codec/keys';
import { ConfigError, DEV_DEFAULTS, loadConfig } from '../../config';
import { connectTemporalClient } from '../../composition/client';
import { createOnboardingWorker } from '../../composition/worker';
import { harness } from '../harness/env';
import { codecKeysEnv, TEST_KEY_A, TEST_KEY_B, testKeyRing } from '../helpers/codec-keys';

const REGISTRATION = {
  firstName: 'Ona',
  lastName: 'Zuikytė',
  email: 'ona.zuikyte@example.com',
  personalCode: '48802290000',
};

const text = (bytes: Uint8Array | null | undefined): string =>
  Buffer.from(bytes ?? new Uint8Array()).toString('utf8');
const plainPayload = (): Payload => defaultPayloadConverter.toPayload({ registration: REGISTRATION });

const onlyA = testKeyRing([TEST_KEY_A]);
const onlyB = testKeyRing([TEST_KEY_B]);
const bothActiveB = testKeyRing([TEST_KEY_A, TEST_KEY_B], TEST_KEY_B.id);

describe('AES-256-GCM payload codec', () => {
  it('encrypts the whole payload and names the key in the metadata', async () => {
    const original = plainPayload();
    const [encrypted] = await new AesGcmPayloadCodec(onlyA).encode([original]);
    expect(
      Object.fromEntries(Object.entries(encrypted.metadata ?? {}).map(([key, value]) => [key, text(value)])),
    ).toEqual({
      encoding: ENCRYPTED_ENCODING,
      [KEY_ID_METADATA_KEY]: TEST_KEY_A.id,
      [CIPHER_METADATA_KEY]: 'AES-256-GCM',
    });
    // Neither the data nor the original encoding is visible.
    expect(text(encrypted.data)).not.toContain('Zuikyt');
    expect(text(encrypted.data)).not.toContain('json/plain');
    const [decoded] = await new AesGcmPayloadCodec(onlyA).decode([encrypted]);
    expect(text(decoded.data)).toBe(text(original.data));
    expect(text(decoded.metadata?.encoding)).toBe('json/plain');
    expect(defaultPayloadConverter.fromPayload(decoded)).toEqual({ registration: REGISTRATION });
  });

  it('uses a fresh IV every time', async () => {
    const codec = new AesGcmPayloadCodec(onlyA);
    const [first, second] = await codec.encode([plainPayload(), plainPayload()]);
    expect(Buffer.from(first.data as Uint8Array).equals(Buffer.from(second.data as Uint8Array))).toBe(false);
  });

  it('passes payloads without the encrypted encoding through unchanged (histories from before the codec)', async () => {
    const plain = plainPayload();
    const binaryNull = { metadata: { encoding: Buffer.from('binary/null') } };
    const [a, b] = await new AesGcmPayloadCodec(onlyA).decode([plain, binaryNull]);
    expect(a).toBe(plain);
    expect(b).toBe(binaryNull);
  });

  it('decrypts by the key the payload names, so keys rotate without breaking old data', async () => {
    const [underA] = await new AesGcmPayloadCodec(onlyA).encode([plainPayload()]);
    const rotated = new AesGcmPayloadCodec(bothActiveB);
    const [underB] = await rotated.encode([plainPayload()]);
    expect(payloadKeyId(underA)).toBe(TEST_KEY_A.id);
    expect(payloadKeyId(underB)).toBe(TEST_KEY_B.id);
    const decoded = await rotated.decode([underA, underB]);
    expect(decoded.map((payload) => defaultPayloadConverter.fromPayload(payload))).toEqual([
      { registration: REGISTRATION },
      { registration: REGISTRATION },
    ]);
  });

  it('fails loudly, naming the key id, when the ring lacks the key', async () => {
    const [underA] = await new AesGcmPayloadCodec(onlyA).encode([plainPayload()]);
    const decoding = new AesGcmPayloadCodec(onlyB).decode([underA]);
    await expect(decoding).rejects.toBeInstanceOf(UnknownEncryptionKeyError);
    await expect(new AesGcmPayloadCodec(onlyB).decode([underA])).rejects.toThrow(
      /encrypted with key "test-a", which is not in the key ring \(known: "test-b"\)/,
    );
  });

  it('fails loudly on tampered data, a swapped key id, wrong key material or a missing key id', async () => {
    const [underA] = await new AesGcmPayloadCodec(onlyA).encode([plainPayload()]);
    const data = Buffer.from(underA.data as Uint8Array);

    const flipped = Buffer.from(data);
    flipped[20] ^= 0x01;
    await expect(new AesGcmPayloadCodec(onlyA).decode([{ ...underA, data: flipped }])).rejects.toThrow(
      /key "test-a" failed authentication/,
    );

    const relabelled = {
      ...underA,
      metadata: { ...underA.metadata, [KEY_ID_METADATA_KEY]: Buffer.from(TEST_KEY_B.id) },
    };
    await expect(new AesGcmPayloadCodec(testKeyRing()).decode([relabelled])).rejects.toBeInstanceOf(
      PayloadDecryptionError,
    );

    const impostor = new KeyRing(
      [{ id: TEST_KEY_A.id, key: Buffer.from(TEST_KEY_B.material, 'base64') }],
      TEST_KEY_A.id,
    );
    await expect(new AesGcmPayloadCodec(impostor).decode([underA])).rejects.toThrow(/failed authentication/);

    const { [KEY_ID_METADATA_KEY]: _dropped, ...withoutId } = underA.metadata ?? {};
    await expect(new AesGcmPayloadCodec(onlyA).decode([{ ...underA, metadata: withoutId }])).rejects.toThrow(
      /no encryption-key-id/,
    );
    await expect(
      new AesGcmPayloadCodec(onlyA).decode([{ ...underA, data: data.subarray(0, 10) }]),
    ).rejects.toThrow(/truncated/);
  });

  it('keeps key material out of JSON and inspection', () => {
    const ring = testKeyRing();
    const shown = `${JSON.stringify(ring)} ${inspect(ring)} ${JSON.stringify({ ring })}`;
    for (const key of [TEST_KEY_A, TEST_KEY_B]) {
      expect(shown).not.toContain(key.material);
      expect(shown).not.toContain(Buffer.from(key.material, 'base64').toString('hex'));
    }
    expect(shown).toContain(TEST_KEY_A.id);
  });

  it('is what the project data converter carries; the API refuses to run without it, the composition root always wires it', async () => {
    expect(encryptsPayloads(dataConverterFromKeys(onlyA))).toBe(true);
    expect(encryptsPayloads({})).toBe(false);
    const connection = Connection.lazy({ address: '127.0.0.1:1' });
    const config = loadConfig({ CODEC_KEYS: codecKeysEnv(TEST_KEY_A) });
    const logger = pino({ level: 'silent' });
    expect(() => createApp({ temporal: new Client({ connection }), config, logger })).toThrow(
      /encrypting data converter/,
    );
    expect(() =>
      createApp({
        temporal: new Client({ connection, dataConverter: dataConverterFromKeys(onlyA) }),
        config,
        logger,
      }),
    ).not.toThrow();
    await connection.close();
    // Workers and clients come from the composition root, which always gives them the configured codec.
    const { address, namespace, bundlePath } = harness();
    const wiredConfig = loadConfig({
      CODEC_KEYS: codecKeysEnv(TEST_KEY_A),
      TEMPORAL_ADDRESS: address,
      TEMPORAL_NAMESPACE: namespace,
      WORKFLOW_BUNDLE_PATH: bundlePath,
    });
    const { worker, close } = await createOnboardingWorker(wiredConfig);
    expect(encryptsPayloads(worker.options.loadedDataConverter)).toBe(true);
    const run = worker.run();
    worker.shutdown();
    await run;
    await close();
    const temporal = await connectTemporalClient(wiredConfig, { lazy: true });
    expect(encryptsPayloads(temporal.client.options.loadedDataConverter)).toBe(true);
    await temporal.close();
  });
});

describe('codec configuration', () => {
  const production = {
    ONDATO_ENV: 'production',
    ONDATO_CLIENT_ID: 'prod-client',
    ONDATO_CLIENT_SECRET: 'prod-secret',
    ONDATO_SETUP_ID: '11111111-1111-4111-8111-111111111111',
    WEBHOOK_PASSWORD: 'prod-webhook-password',
    CALLBACK_SECRET: 'prod-callback-secret',
    API_KEYS: 'prod-api-key',
    API_OPS_KEYS: 'prod-ops-key',
  };

  function configProblems(env: Record<string, string>): string {
    try {
      loadConfig(env);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).message;
    }
    throw new Error('expected a configuration error');
  }

  it('defaults to the development key, an open endpoint in simulator mode, and the local UI origins', () => {
    const config = loadConfig({ TEMPORAL_UI_PORT: '8300' });
    expect(config.codec.keyRing.toJSON()).toEqual({ activeKeyId: 'dev', keyIds: ['dev'] });
    expect(config.codec.keyRing.containsMaterial(Buffer.from(DEV_DEFAULTS.codecKey, 'base64'))).toBe(true);
    expect(config.codec.endpointAccess).toBe('open');
    expect(config.codec.corsOrigins).toEqual(['http://127.0.0.1:8300', 'http://localhost:8300']);
  });

  it('reads several keys with an explicit active key, tokens and origins', () => {
    const config = loadConfig({
      CODEC_KEYS: ` ${codecKeysEnv(TEST_KEY_A, TEST_KEY_B)} `,
      CODEC_ACTIVE_KEY_ID: TEST_KEY_B.id,
      CODEC_ENDPOINT_TOKENS: 'a-codec-token-of-some-length, another-codec-token-123',
      CODEC_CORS_ORIGINS: 'https://temporal.example.com',
    });
    expect(config.codec.keyRing.toJSON()).toEqual({ activeKeyId: 'test-b', keyIds: ['test-a', 'test-b'] });
    expect(config.codec.endpointAccess).toBe('tokens');
    expect(config.codec.endpointTokens).toEqual(['a-codec-token-of-some-length', 'another-codec-token-123']);
    expect(config.codec.corsOrigins).toEqual(['https://temporal.example.com']);
  });

  it('refuses malformed keys without echoing their material', () => {
    const short = Buffer.alloc(16, 7).toString('base64');
    const message = configProblems({
      CODEC_KEYS: `k1:${short},k2:not base64!,k3,k1:${TEST_KEY_A.material},bad id:${TEST_KEY_A.material}`,
    });
    expect(message).toContain('entry 1 ("k1"): the key must decode to exactly 32 bytes (AES-256), got 16');
    expect(message).toContain('entry 2 ("k2"): the key is not standard base64');
    expect(message).toContain('entry 3: expected <id>:<base64 key>');
    expect(message).toContain('the key id "k1" appears twice');
    expect(message).toContain('entry 5: a key id is');
    expect(message).not.toContain(short);
    expect(message).not.toContain(TEST_KEY_A.material);
  });

  it('needs an active key among the keys', () => {
    expect(configProblems({ CODEC_KEYS: codecKeysEnv(TEST_KEY_A, TEST_KEY_B) })).toContain(
      'CODEC_ACTIVE_KEY_ID: required when CODEC_KEYS holds several keys',
    );
    expect(configProblems({ CODEC_KEYS: codecKeysEnv(TEST_KEY_A), CODEC_ACTIVE_KEY_ID: 'test-b' })).toContain(
      'CODEC_ACTIVE_KEY_ID: "test-b" is not one of the CODEC_KEYS ids',
    );
  });

  it('refuses short codec endpoint tokens and origins with a path', () => {
    expect(configProblems({ CODEC_ENDPOINT_TOKENS: 'short' })).toContain(
      'each token needs at least 16 characters',
    );
    expect(configProblems({ CODEC_CORS_ORIGINS: 'http://127.0.0.1:8233/' })).toContain(
      'scheme://host[:port]',
    );
  });

  it('refuses the development key with real Ondato, and closes the endpoint there without tokens', () => {
    expect(configProblems(production)).toContain(
      'CODEC_KEYS: the development key must not be used when ONDATO_ENV=production',
    );
    const renamedDevKey = configProblems({ ...production, CODEC_KEYS: `mine:${DEV_DEFAULTS.codecKey}` });
    expect(renamedDevKey).toContain('CODEC_KEYS: the development key must not be used');
    const config = loadConfig({ ...production, CODEC_KEYS: codecKeysEnv(TEST_KEY_A) });
    expect(config.codec.endpointAccess).toBe('disabled');
  });
});
