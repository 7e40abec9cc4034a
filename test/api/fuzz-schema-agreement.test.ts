/**
 * The OpenAPI document is as strict as the validation (issue 18): for every request body, a value the
 * document's JSON Schema accepts is one the API's zod schema accepts, and the other way round. Checked on the
 * cases the issue names, then on a few thousand generated values per field (a small property-based fuzzer
 * with a fixed seed, so a failure is reproducible). The full schema-driven fuzzer against the running app is
 * `npm run fuzz`.
 */
import { createServer, type AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import request from 'supertest';
import type { z } from 'zod';
import { createApp } from '../../api/app';
import { buildOpenApiDocument, openApiPath } from '../../api/openapi/document';
import type { Operation } from '../../api/route-spec';
import { API_OPERATIONS } from '../../api/routes/operations';
import { createDataConverter } from '../../codec/data-converter';
import { loadConfig } from '../../config';
import { apiEnv, captureLogs } from './support/api-env';

const document = buildOpenApiDocument(API_OPERATIONS);
const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats(ajv);
ajv.addVocabulary(['openapi', 'info', 'tags', 'paths', 'components']);
ajv.addSchema(document as object, 'openapi.json');

function operation(method: string, path: string): Operation & { body: { schema: z.ZodType } } {
  const found = API_OPERATIONS.find((candidate) => candidate.method === method && candidate.path === path);
  if (!found?.body) throw new Error(`no ${method} ${path} with a body`);
  return found as Operation & { body: { schema: z.ZodType } };
}

/** Does the document accept `body`, does the API accept it: the two answers for one value. */
function verdicts(op: Operation & { body: { schema: z.ZodType } }, body: unknown) {
  const pointer = [
    'paths',
    openApiPath(op.path),
    op.method,
    'requestBody',
    'content',
    'application/json',
    'schema',
  ]
    .map((part) => part.replace(/~/g, '~0').replace(/\//g, '~1'))
    .join('/');
  const validate = ajv.getSchema(`openapi.json#/${pointer}`);
  if (!validate) throw new Error(`no request schema at ${pointer}`);
  return { document: validate(body) as boolean, api: op.body.schema.safeParse(body).success };
}

const start = operation('post', '/v1/onboardings');
const review = operation('post', '/v1/onboardings/:customerId/review');
const cancel = operation('post', '/v1/onboardings/:customerId/cancel');
const resume = operation('post', '/v1/onboardings/:customerId/resume');

const startWith = (registration: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  customerId: 'c-1',
  registration,
  ...extra,
});

describe('the document and the validation agree', () => {
  it.each<[string, Operation & { body: { schema: z.ZodType } }, unknown]>([
    ['a country code that is no country', start, startWith({ countryCode: 'EU' })],
    ['a real country code', start, startWith({ countryCode: 'LT' })],
    ['a birth date before 1900', start, startWith({ dateOfBirth: '1899-12-31' })],
    ['the first birth date allowed', start, startWith({ dateOfBirth: '1900-01-01' })],
    ['a birth date in the future', start, startWith({ dateOfBirth: '2999-01-01' })],
    ['29 February of a common year', start, startWith({ dateOfBirth: '2023-02-29' })],
    ['29 February of a leap year', start, startWith({ dateOfBirth: '2000-02-29' })],
    ['a name of spaces', start, startWith({ firstName: '   ' })],
    ['a name of one non-breaking space', start, startWith({ firstName: '\u00a0' })],
    ['a name padded past its length', start, startWith({ firstName: ` ${'a'.repeat(100)}` })],
    ['a name of 100 emoji', start, startWith({ firstName: '😀'.repeat(100) })],
    ['a name of 101 emoji', start, startWith({ firstName: '😀'.repeat(101) })],
    ['a three-digit phone number', start, startWith({ phoneNumber: 123 })],
    ['a sixteen-digit phone number', start, startWith({ phoneNumber: 1_234_567_890_123_456 })],
    ['an ftp callback URL', start, startWith({}, { callbackUrl: 'ftp://backend.example.com/x' })],
    ['a callback URL with a space before it', start, startWith({}, { callbackUrl: ' https://a.example/x' })],
    ['a callback URL on a numeric host', start, startWith({}, { callbackUrl: 'http://a.1/x' })],
    ['a callback URL on port 65536', start, startWith({}, { callbackUrl: 'http://a.example:65536/x' })],
    ['a plain callback URL', start, startWith({}, { callbackUrl: 'https://backend.example.com/hooks/kyc' })],
    ['a reviewer id of one non-breaking space', review, { reviewerId: '\u00a0', decision: 'approved' }],
    ['a reviewer id of a tab and a newline', review, { reviewerId: '\t\n', decision: 'approved' }],
    ['a reviewer id', review, { reviewerId: 'ops-7', decision: 'approved' }],
    ['a cancel by a blank requester', cancel, { requestedBy: '\u3000' }],
    ['a resume by a blank requester', resume, { requestedBy: '\ufeff' }],
    ['a note of 2000 emoji', review, { reviewerId: 'ops-7', decision: 'rejected', note: '😀'.repeat(2000) }],
  ])('%s', (_what, op, body) => {
    const { document: byDocument, api } = verdicts(op, body);
    expect({ byDocument, api }).toEqual({ byDocument: api, api });
  });
});

/** Mulberry32: small, seeded, good enough to spread test values. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Characters where validators tend to disagree: every kind of whitespace, astral characters, digits, signs.
const POOL = [
  ...'aZ09-_.:+/@ ',
  '\t',
  '\n',
  '\r',
  '\u000b',
  '\u000c',
  '\u001c',
  '\u0085',
  '\u00a0',
  '\u1680',
  '\u2000',
  '\u200b',
  '\u2028',
  '\u202f',
  '\u3000',
  '\ufeff',
  '😀',
  'ė',
];

function generatedString(next: () => number, maxLength: number): string {
  const length = Math.floor(next() * (maxLength + 3));
  let value = '';
  for (let i = 0; i < length; i += 1) value += POOL[Math.floor(next() * POOL.length)];
  return value;
}

function generatedDate(next: () => number): string {
  const year = 1890 + Math.floor(next() * 150);
  const month = Math.floor(next() * 14);
  const day = Math.floor(next() * 33);
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

describe('generated values', () => {
  const ROUNDS = 3_000;

  it.each<[string, Operation & { body: { schema: z.ZodType } }, (next: () => number) => unknown]>([
    ['start: names', start, (next) => startWith({ firstName: generatedString(next, 8) })],
    ['start: personal code', start, (next) => startWith({ personalCode: generatedString(next, 4) })],
    ['start: birth date', start, (next) => startWith({ dateOfBirth: generatedDate(next) })],
    [
      'start: country code',
      start,
      (next) => startWith({ countryCode: String.fromCharCode(65 + next() * 26, 65 + next() * 26) }),
    ],
    [
      'start: phone number',
      start,
      (next) => startWith({ phoneNumber: Math.floor(10 ** (next() * 17)) * (next() < 0.1 ? -1 : 1) }),
    ],
    [
      'start: callback URL',
      start,
      (next) =>
        startWith({}, { callbackUrl: `${next() < 0.8 ? 'https://' : ''}${generatedString(next, 12)}` }),
    ],
    [
      'review: reviewer id',
      review,
      (next) => ({ reviewerId: generatedString(next, 6), decision: 'approved' }),
    ],
    ['cancel: requester', cancel, (next) => ({ requestedBy: generatedString(next, 6) })],
  ])('%s', (_what, op, generate) => {
    const next = random(18);
    const disagreements: unknown[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const body = generate(next);
      const { document: byDocument, api } = verdicts(op, body);
      if (byDocument !== api) disagreements.push({ body, byDocument, api });
    }
    expect(disagreements.slice(0, 5)).toEqual([]);
  });
});

describe('the codec endpoint as documented', () => {
  const securityOfDecode = (doc: ReturnType<typeof buildOpenApiDocument>) =>
    (doc.paths?.['/codec/decode'] as { post: { security: unknown } }).post.security;

  it('needs a token unless the service leaves it open', () => {
    expect(securityOfDecode(buildOpenApiDocument(API_OPERATIONS, { codecAccess: 'tokens' }))).toEqual([
      { codecToken: [] },
    ]);
    expect(securityOfDecode(buildOpenApiDocument(API_OPERATIONS, { codecAccess: 'disabled' }))).toEqual([
      { codecToken: [] },
    ]);
    expect(securityOfDecode(buildOpenApiDocument(API_OPERATIONS, { codecAccess: 'open' }))).toEqual([]);
  });

  it('is served as the app answers: open in local mode without tokens, guarded with them', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const connection = Connection.lazy({ address: `127.0.0.1:${port}` });
    try {
      for (const [env, security, status] of [
        [{}, [], 200],
        [{ CODEC_ENDPOINT_TOKENS: 'ui-token-of-the-temporal-ui' }, [{ codecToken: [] }], 401],
      ] as const) {
        const config = loadConfig(apiEnv(env));
        const app = createApp({
          temporal: new Client({ connection, dataConverter: createDataConverter(config) }),
          config,
          logger: captureLogs().logger,
        });
        const served = await request(app).get('/openapi.json');
        expect(served.body.paths['/codec/decode'].post.security).toEqual(security);
        const anonymous = await request(app).post('/codec/decode').send({ payloads: [] });
        expect(anonymous.status).toBe(status);
      }
    } finally {
      await connection.close();
    }
  });
});
