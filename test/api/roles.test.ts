/**
 * Roles without Temporal: how key entries become identities, which role a token belongs to, 401 against 403,
 * the configuration's checks on identified keys, and every /v1 route's role in the OpenAPI document.
 */
import express from 'express';
import request from 'supertest';
import { callerOf, identifyCaller, requireRole, type RoleKeys } from '../../api/auth';
import { errorHandler } from '../../api/errors';
import { ONBOARDING_OPERATIONS } from '../../api/routes/onboardings';
import { keyFingerprint, parseKeyEntry } from '../../config/api-keys';
import { ConfigError, loadConfig } from '../../config';
import { captureLogs } from './support/api-env';

describe('key entries', () => {
  it('reads identity:key, and gives a plain key its fingerprint as identity', () => {
    expect(parseKeyEntry('ops-alice:s3cret')).toEqual({ identity: 'ops-alice', key: 's3cret' });
    // Only the first colon separates: a key may hold colons.
    expect(parseKeyEntry('desk.2:a:b:c')).toEqual({ identity: 'desk.2', key: 'a:b:c' });
    const plain = parseKeyEntry('k9Zp0qL7');
    expect(plain).toEqual({ identity: keyFingerprint('k9Zp0qL7'), key: 'k9Zp0qL7' });
    expect(plain.identity).toMatch(/^key-[0-9a-f]{8}$/);
    expect(plain.identity).not.toContain('k9Zp0qL7');
    // Not an identity (starts with a digit, or nothing after the colon): the whole entry is the key.
    expect(parseKeyEntry('1abc:xyz')).toEqual({ identity: keyFingerprint('1abc:xyz'), key: '1abc:xyz' });
    expect(parseKeyEntry('ops:')).toEqual({ identity: keyFingerprint('ops:'), key: 'ops:' });
  });

  it('finds the role and identity of a token, among every key of both roles', () => {
    const keys: RoleKeys = {
      backend: [parseKeyEntry('shop:b-1'), parseKeyEntry('b-2')],
      ops: [parseKeyEntry('ops-alice:o-1')],
    };
    expect(identifyCaller('b-1', keys)).toEqual({ role: 'backend', identity: 'shop' });
    expect(identifyCaller('b-2', keys)).toEqual({ role: 'backend', identity: keyFingerprint('b-2') });
    expect(identifyCaller('o-1', keys)).toEqual({ role: 'ops', identity: 'ops-alice' });
    // The entry is not the key.
    expect(identifyCaller('ops-alice:o-1', keys)).toBeUndefined();
    expect(identifyCaller('o-', keys)).toBeUndefined();
  });
});

describe('requireRole', () => {
  const keys: RoleKeys = { backend: [parseKeyEntry('shop:b-1')], ops: [parseKeyEntry('ops-alice:o-1')] };
  const app = express();
  app.get(
    '/ops',
    requireRole(keys, ['ops'], 'list onboardings'),
    (_req, res) => void res.json(callerOf(res)),
  );
  app.get(
    '/both',
    requireRole(keys, ['backend', 'ops'], 'read'),
    (_req, res) => void res.json(callerOf(res)),
  );
  app.use(errorHandler(captureLogs().logger));

  it('401 without a known key, 403 with a key of the other role, the caller otherwise', async () => {
    const none = await request(app).get('/ops');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="onboarding-api"');
    const unknown = await request(app).get('/ops').set('Authorization', 'Bearer guess');
    expect(unknown.status).toBe(401);
    expect(unknown.headers['www-authenticate']).toContain('error="invalid_token"');

    const wrongRole = await request(app).get('/ops').set('Authorization', 'Bearer b-1');
    expect(wrongRole.status).toBe(403);
    expect(wrongRole.body.error).toEqual({
      code: 'forbidden',
      message: 'Only an ops key (API_OPS_KEYS) may list onboardings; this key is an API key (API_KEYS)',
      details: { role: 'backend', requiredRoles: ['ops'] },
    });
    // The identity of the key is not told back to someone using it in the wrong place.
    expect(JSON.stringify(wrongRole.body)).not.toContain('shop');

    const ops = await request(app).get('/ops').set('Authorization', 'Bearer o-1');
    expect(ops.body).toEqual({ role: 'ops', identity: 'ops-alice' });
    const backendRead = await request(app).get('/both').set('Authorization', 'Bearer b-1');
    expect(backendRead.body).toEqual({ role: 'backend', identity: 'shop' });
  });
});

describe('configuration of identified keys', () => {
  const realOndato = {
    ONDATO_ENV: 'production',
    ONDATO_CLIENT_ID: 'prod-client',
    ONDATO_CLIENT_SECRET: 'prod-secret',
    ONDATO_SETUP_ID: '11111111-1111-4111-8111-111111111111',
    WEBHOOK_PASSWORD: 'prod-webhook-password',
    CALLBACK_SECRET: 'prod-callback-secret',
    CODEC_KEYS: `prod:${Buffer.alloc(32, 7).toString('base64')}`,
  };
  const problems = (env: Record<string, string>): string[] => {
    try {
      loadConfig({ ...realOndato, ...env });
      return [];
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).problems;
    }
  };

  it('refuses a development key behind an identity, and a key in both lists under two identities', () => {
    expect(problems({ API_KEYS: 'shop:dev-api-key', API_OPS_KEYS: 'ops-a:prod-ops' })).toEqual([
      'API_KEYS: the development key must not be used when ONDATO_ENV=production',
    ]);
    expect(problems({ API_KEYS: 'shop:prod-api', API_OPS_KEYS: 'ops-a:dev-ops-key' })).toEqual([
      'API_OPS_KEYS: the development key must not be used when ONDATO_ENV=production',
    ]);
    expect(problems({ API_KEYS: 'shop:same-key', API_OPS_KEYS: 'ops-a:same-key' })).toEqual([
      'API_OPS_KEYS: a key must not also be one of API_KEYS',
    ]);
    expect(problems({ API_KEYS: 'shop:prod-api', API_OPS_KEYS: 'ops-a:prod-ops,plain-ops' })).toEqual([]);
  });
});

describe("every onboarding route's role", () => {
  it('is declared: start for backends, the read for both, everything else for ops', () => {
    const roles = Object.fromEntries(
      Object.entries(ONBOARDING_OPERATIONS).map(([name, operation]) => [name, operation.security]),
    );
    expect(roles).toEqual({
      start: 'apiKey',
      status: 'apiKeyOrOpsKey',
      review: 'opsKey',
      cancel: 'opsKey',
      retry: 'opsKey',
      resume: 'opsKey',
      list: 'opsKey',
    });
    // A route one role may not use documents the 403 that says so.
    for (const [name, operation] of Object.entries(ONBOARDING_OPERATIONS)) {
      const responses = operation.responses as Record<number, unknown>;
      if (operation.security === 'apiKeyOrOpsKey')
        expect({ name, has403: 403 in responses }).toEqual({ name, has403: false });
      else expect({ name, has403: 403 in responses }).toEqual({ name, has403: true });
    }
  });
});
