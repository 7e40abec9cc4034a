/**
 * A start or retry naming a callback URL the worker would refuse is refused at once (400, the field and why),
 * before Temporal is asked anything: this app's Temporal is unreachable, so an allowed URL gets the 503.
 */
import { createServer, type AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import request from 'supertest';
import { createApp } from '../../api/app';
import { createDataConverter } from '../../codec/data-converter';
import { loadConfig } from '../../config';
import { apiEnv, bearer, captureLogs, OPS_KEY, REGISTRATION } from './support/api-env';

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('callbackUrl at start', () => {
  let connection: Connection;
  let app: ReturnType<typeof createApp>;

  beforeAll(async () => {
    const config = loadConfig(
      apiEnv({
        API_TEMPORAL_TIMEOUT_MS: '300',
        API_START_WAIT_MS: '300',
        CALLBACK_URL: 'https://backend.example.com/hooks/kyc',
        CALLBACK_ALLOWED_URLS: '*.partner.example',
      }),
    );
    connection = Connection.lazy({ address: `127.0.0.1:${await closedPort()}` });
    app = createApp({
      temporal: new Client({ connection, dataConverter: createDataConverter(config) }),
      config,
      logger: captureLogs().logger,
    });
  });

  afterAll(async () => {
    await connection.close();
  });

  const start = (callbackUrl: string) =>
    request(app)
      .post('/v1/onboardings')
      .set('authorization', bearer())
      .send({ customerId: 'c-callback-1', registration: REGISTRATION, callbackUrl });

  it.each([
    ['loopback', 'http://127.0.0.1:8080/internal'],
    ['loopback by name', 'http://localhost:8080/internal'],
    ['cloud metadata', 'http://169.254.169.254/latest/meta-data'],
    ['IPv4-mapped IPv6 loopback', 'http://[::ffff:127.0.0.1]/x'],
    ['another host', 'https://attacker.example/collect'],
    ['another path of the configured host', 'https://backend.example.com/admin'],
  ])('refuses %s with a 400 naming the field', async (_what, callbackUrl) => {
    const response = await start(callbackUrl);
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('validation_failed');
    expect(response.body.error.details).toEqual([
      { path: 'callbackUrl', message: expect.stringMatching(/CALLBACK_ALLOWED_URLS|address/) },
    ]);
  });

  it('refuses the same on retry', async () => {
    const response = await request(app)
      .post('/v1/onboardings/c-callback-1/retry')
      .set('authorization', bearer(OPS_KEY))
      .send({ registration: REGISTRATION, callbackUrl: 'http://10.0.0.1/x' });
    expect(response.status).toBe(400);
    expect(response.body.error.details[0].path).toBe('callbackUrl');
  });

  it.each(['https://backend.example.com/hooks/kyc', 'https://eu.partner.example/cb'])(
    'lets %s through to Temporal (unreachable here: 503)',
    async (callbackUrl) => {
      const response = await start(callbackUrl);
      expect(response.status).toBe(503);
    },
  );
});
