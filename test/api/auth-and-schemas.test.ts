/**
 * The pure parts: credential and signature checks, the allow-list, ops keys in the configuration, and how
 * request bodies are normalised.
 */
import { BlockList } from 'node:net';
import {
  buildAllowList,
  checkBasicCredentials,
  checkWebhookSignature,
  matchesAny,
  signWebhookBody,
} from '../../api/auth';
import { resumeRequestSchema, startOnboardingRequestSchema } from '../../api/schemas';
import { ConfigError, DEV_DEFAULTS, loadConfig } from '../../config';
import { signature as simulatorSignature } from '../../simulator/webhooks';

describe('webhook signature', () => {
  const secret = 'hmac-secret';
  const body = Buffer.from('{"id":"d-1","type":"IdentityVerification.StatusChanged"}');
  const now = 1_800_000_000;

  it('accepts what Ondato (here: the simulator) signs', () => {
    const header = simulatorSignature(secret, body.toString('utf8'), now * 1000);
    expect(checkWebhookSignature(secret, body, header, now, 300)).toBe('valid');
    expect(header).toBe(signWebhookBody(secret, body, now));
  });

  it('names what is wrong with a signature it refuses', () => {
    expect(checkWebhookSignature(secret, body, undefined, now, 300)).toBe('missing');
    expect(checkWebhookSignature(secret, body, 'v1=abc', now, 300)).toBe('malformed');
    expect(checkWebhookSignature(secret, body, signWebhookBody(secret, body, now - 301), now, 300)).toBe(
      'stale',
    );
    expect(checkWebhookSignature(secret, body, signWebhookBody(secret, body, now + 301), now, 300)).toBe(
      'stale',
    );
    expect(checkWebhookSignature(secret, body, signWebhookBody('other', body, now), now, 300)).toBe(
      'mismatch',
    );
    const tampered = Buffer.from(body.toString('utf8').replace('d-1', 'd-2'));
    expect(checkWebhookSignature(secret, tampered, signWebhookBody(secret, body, now), now, 300)).toBe(
      'mismatch',
    );
  });
});

describe('credentials', () => {
  const basic = (value: string) => `Basic ${Buffer.from(value).toString('base64')}`;

  it('checks Basic user and password, both of them', () => {
    expect(checkBasicCredentials(basic('ondato:pa:ss'), 'ondato', 'pa:ss')).toBe(true);
    expect(checkBasicCredentials(basic('ondato:wrong'), 'ondato', 'pa:ss')).toBe(false);
    expect(checkBasicCredentials(basic('other:pa:ss'), 'ondato', 'pa:ss')).toBe(false);
    expect(checkBasicCredentials(basic('no-separator'), 'ondato', 'pa:ss')).toBe(false);
    expect(checkBasicCredentials('Bearer token', 'ondato', 'pa:ss')).toBe(false);
    expect(checkBasicCredentials(undefined, 'ondato', 'pa:ss')).toBe(false);
  });

  it('matches a key against every configured one', () => {
    expect(matchesAny('k2', ['k1', 'k2'])).toBe(true);
    expect(matchesAny('k2 ', ['k1', 'k2'])).toBe(false);
    expect(matchesAny('k', [])).toBe(false);
  });

  it('builds the allow-list from addresses and ranges, and refuses nonsense', () => {
    const list = buildAllowList(['10.0.0.0/8', '2001:db8::1']) as BlockList;
    expect(list.check('10.9.8.7', 'ipv4')).toBe(true);
    expect(list.check('11.0.0.1', 'ipv4')).toBe(false);
    expect(list.check('2001:db8::1', 'ipv6')).toBe(true);
    expect(buildAllowList([])).toBeUndefined();
    expect(() => buildAllowList(['ondato.com'])).toThrow(/not an IP address/);
  });
});

describe('ops keys', () => {
  const realOndato = {
    ONDATO_ENV: 'production',
    ONDATO_CLIENT_ID: 'prod-client',
    ONDATO_CLIENT_SECRET: 'prod-secret',
    ONDATO_SETUP_ID: '11111111-1111-4111-8111-111111111111',
    WEBHOOK_PASSWORD: 'prod-webhook-password',
    CALLBACK_SECRET: 'prod-callback-secret',
    API_KEYS: 'prod-api-key',
    CODEC_KEYS: `prod:${Buffer.alloc(32, 7).toString('base64')}`,
  };
  const problems = (env: Record<string, string>): string[] => {
    try {
      loadConfig(env);
      return [];
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).problems;
    }
  };

  it('default to the development key, which real Ondato refuses', () => {
    expect(loadConfig({}).api.opsKeys).toEqual([DEV_DEFAULTS.opsKey]);
    expect(problems(realOndato)).toEqual([
      'API_OPS_KEYS: the development key must not be used when ONDATO_ENV=production',
    ]);
    expect(loadConfig({ ...realOndato, API_OPS_KEYS: 'ops-1, ops-2' }).api.opsKeys).toEqual([
      'ops-1',
      'ops-2',
    ]);
  });

  it('are never also product keys', () => {
    expect(problems({ API_KEYS: 'shared,product', API_OPS_KEYS: 'shared' })).toEqual([
      'API_OPS_KEYS: a key must not also be one of API_KEYS',
    ]);
  });
});

describe('start request normalisation', () => {
  const parse = (registration: Record<string, unknown>) =>
    startOnboardingRequestSchema.parse({ customerId: 'c-1', registration }).registration;

  it('turns a phone number string into the JSON number Ondato wants', () => {
    expect(parse({ phoneNumber: '+37060012345' }).phoneNumber).toBe(37060012345);
    expect(parse({ phoneNumber: '37060012345' }).phoneNumber).toBe(37060012345);
    expect(parse({ phoneNumber: 37060012345 }).phoneNumber).toBe(37060012345);
  });

  it('trims names and accepts leap days and Kosovo', () => {
    expect(parse({ firstName: '  Ona ', dateOfBirth: '2000-02-29', countryCode: 'XK' })).toEqual({
      firstName: 'Ona',
      dateOfBirth: '2000-02-29',
      countryCode: 'XK',
    });
  });

  it('accepts an empty registration: every field is optional', () => {
    expect(parse({})).toEqual({});
  });
});

describe('resume request', () => {
  it('needs who resumed, trimmed, and nothing unknown', () => {
    expect(resumeRequestSchema.parse({ requestedBy: ' ops-7 ', note: 'rotated' })).toEqual({
      requestedBy: 'ops-7',
      note: 'rotated',
    });
    expect(resumeRequestSchema.safeParse({ requestedBy: '  ' }).success).toBe(false);
    expect(resumeRequestSchema.safeParse({ requestedBy: 'ops-7', reason: 'x' }).success).toBe(false);
  });
});
