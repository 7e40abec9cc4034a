/**
 * Callbacks go only where configuration allows (issue 18, SSRF): the allow-list, the address ranges, the
 * address actually connected to, and redirects. Deliveries here are real HTTP to servers on loopback.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { sendCallback } from '../../activities/callback';
import type { HostResolver } from '../../activities/callback-transport';
import { checkCallbackUrl, specialRangeOf, type CallbackTargets } from '../../config/callback-targets';
import { ConfigError, loadConfig } from '../../config';
import { callbackEventId, FailureType, type CallbackEvent } from '../../contract';

interface Backend {
  url: string;
  port: number;
  hits: string[];
  close(): Promise<void>;
}

async function startBackend(answer: (path: string) => { status: number; headers?: Record<string, string> }) {
  const hits: string[] = [];
  const server: Server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      hits.push(request.url ?? '');
      const { status, headers } = answer(request.url ?? '');
      response.writeHead(status, headers).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/onboarding`,
    port,
    hits,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  } satisfies Backend;
}

const event: CallbackEvent = {
  eventId: callbackEventId('onboarding-c-1', 'run-1', 'onboarding.completed'),
  type: 'onboarding.completed',
  customerId: 'c-1',
  workflowId: 'onboarding-c-1',
  outcome: 'approved',
  reasons: [],
  occurredAt: '2026-11-29T10:00:00.000Z',
};

async function failureOf(delivery: Promise<void>): Promise<ApplicationFailure> {
  const error = await delivery.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ApplicationFailure);
  return error as ApplicationFailure;
}

const send = (url: string, targets: CallbackTargets, resolver?: HostResolver) =>
  sendCallback(url, event, { secret: 's', timeoutMs: 5_000, targets, resolver });

describe('the allow-list', () => {
  const targets: CallbackTargets = {
    allowed: ['https://backend.example.com/hooks', '*.corp.example', 'api.example.org:8443'],
    allowPrivateAddresses: false,
  };

  it.each([
    ['https://backend.example.com/hooks', true],
    ['https://backend.example.com/hooks/onboarding?x=1', true],
    ['https://backend.example.com:443/hooks/a', true],
    ['https://backend.example.com/hooks-elsewhere', false],
    ['https://backend.example.com/hooks/../admin', false],
    ['http://backend.example.com/hooks', false],
    ['https://backend.example.com.evil.test/hooks', false],
    ['https://user:pw@backend.example.com/hooks', false],
    ['https://a.corp.example/x', true],
    ['https://corp.example/x', false],
    ['https://api.example.org:8443/cb', true],
    ['https://api.example.org/cb', false],
    ['http://127.0.0.1:8080/hooks', false],
  ])('%s → allowed %s', (url, allowed) => {
    expect(checkCallbackUrl(url, targets).allowed).toBe(allowed);
  });

  it('allows any host with `*`, still refusing literal private addresses', () => {
    const any: CallbackTargets = { allowed: ['*'], allowPrivateAddresses: false };
    expect(checkCallbackUrl('https://anything.example/x', any)).toEqual({ allowed: true });
    expect(checkCallbackUrl('http://10.0.0.1/x', any)).toMatchObject({ allowed: false });
    expect(loadConfig({ CALLBACK_ALLOWED_URLS: '*' }).callbacks.targets.allowed).toEqual(['*']);
  });

  it('refuses a listed literal private address unless private targets are allowed', () => {
    const loopback: CallbackTargets = { allowed: ['127.0.0.1:9000'], allowPrivateAddresses: false };
    expect(checkCallbackUrl('http://127.0.0.1:9000/cb', loopback)).toMatchObject({ allowed: false });
    expect(
      checkCallbackUrl('http://127.0.0.1:9000/cb', { ...loopback, allowPrivateAddresses: true }),
    ).toEqual({ allowed: true });
  });

  it('defaults to CALLBACK_URL only, and refuses a bad entry at start', () => {
    const config = loadConfig({ CALLBACK_URL: 'https://backend.example.com/hooks/kyc' });
    expect(config.callbacks.targets).toEqual({
      allowed: ['https://backend.example.com/hooks/kyc'],
      allowPrivateAddresses: false,
    });
    expect(() => loadConfig({ CALLBACK_ALLOWED_URLS: 'ftp://x.example/' })).toThrow(ConfigError);
    expect(() => loadConfig({ CALLBACK_ALLOWED_URLS: 'bad host/with space' })).toThrow(ConfigError);
  });
});

describe('address ranges', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['0:0:0:0:0:ffff:a00:1', 'private'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fd12:3456::1', 'unique-local'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.251', 'multicast'],
    ['ff02::1', 'multicast'],
    ['100.64.0.1', 'shared (carrier-grade NAT)'],
    ['255.255.255.255', 'broadcast'],
  ])('%s is %s', (address, range) => {
    expect(specialRangeOf(address)).toBe(range);
  });

  it.each(['8.8.8.8', '::ffff:8.8.8.8', '2606:4700:4700::1111', '93.184.216.34'])(
    '%s is public',
    (address) => {
      expect(specialRangeOf(address)).toBeUndefined();
    },
  );
});

describe('delivery', () => {
  let backend: Backend;
  beforeEach(async () => {
    backend = await startBackend(() => ({ status: 204 }));
  });
  afterEach(async () => {
    await backend.close();
  });

  it('refuses a loopback target that is listed but not allowed as private, sending nothing', async () => {
    const failure = await failureOf(
      send(backend.url, { allowed: [backend.url], allowPrivateAddresses: false }),
    );
    expect(failure.type).toBe(FailureType.CallbackTargetRefused);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(/loopback/);
    expect(backend.hits).toEqual([]);
  });

  it('refuses an unlisted target, sending nothing', async () => {
    const failure = await failureOf(
      send(backend.url, { allowed: ['backend.example.com'], allowPrivateAddresses: true }),
    );
    expect(failure.type).toBe(FailureType.CallbackTargetRefused);
    expect(backend.hits).toEqual([]);
  });

  it('refuses an IPv4-mapped IPv6 literal of loopback', async () => {
    const url = `http://[::ffff:127.0.0.1]:${backend.port}/hooks/onboarding`;
    const failure = await failureOf(send(url, { allowed: [url], allowPrivateAddresses: false }));
    expect(failure.type).toBe(FailureType.CallbackTargetRefused);
    expect(backend.hits).toEqual([]);
  });

  it('checks the address a name resolves to, and connects to that address (no second lookup)', async () => {
    const url = `http://backend.test:${backend.port}/hooks/onboarding`;
    let lookups = 0;
    // The URL passes the allow-list by name; the name resolves to loopback.
    const rebinding: HostResolver = async () => {
      lookups += 1;
      return [{ address: '127.0.0.1', family: 4 }];
    };
    const refused = await failureOf(
      send(url, { allowed: ['backend.test'], allowPrivateAddresses: false }, rebinding),
    );
    expect(refused.type).toBe(FailureType.CallbackTargetRefused);
    expect(refused.message).toMatch(/backend\.test resolves to 127\.0\.0\.1 is a loopback address/);
    expect(backend.hits).toEqual([]);

    // One refused address among several refuses the host.
    const mixed: HostResolver = async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '10.0.0.5', family: 4 },
    ];
    const mixedFailure = await failureOf(
      send(url, { allowed: ['backend.test'], allowPrivateAddresses: false }, mixed),
    );
    expect(mixedFailure.type).toBe(FailureType.CallbackTargetRefused);

    // Allowed: the request reaches the address the resolver gave, under the name.
    lookups = 0;
    await send(url, { allowed: ['backend.test'], allowPrivateAddresses: true }, async () => {
      lookups += 1;
      return [{ address: '127.0.0.1', family: 4 }];
    });
    expect(lookups).toBe(1);
    expect(backend.hits).toEqual(['/hooks/onboarding']);
  });

  it('never follows a redirect: a 3xx is a non-retryable failure that says so', async () => {
    const internal = await startBackend(() => ({ status: 200 }));
    const redirecting = await startBackend(() => ({
      status: 302,
      headers: { location: `${internal.url}/admin` },
    }));
    try {
      const failure = await failureOf(
        send(redirecting.url, { allowed: [redirecting.url], allowPrivateAddresses: true }),
      );
      expect(failure.type).toBe(FailureType.CallbackRejected);
      expect(failure.nonRetryable).toBe(true);
      expect(failure.message).toMatch(/redirect \(HTTP 302\); redirects are not followed/);
      expect(redirecting.hits).toHaveLength(1);
      expect(internal.hits).toEqual([]);
    } finally {
      await Promise.all([internal.close(), redirecting.close()]);
    }
  });

  it('delivers to an allowed target and classifies its answers', async () => {
    await send(backend.url, { allowed: [backend.url], allowPrivateAddresses: true });
    expect(backend.hits).toEqual(['/hooks/onboarding']);

    const down = await startBackend(() => ({ status: 503 }));
    try {
      const failure = await failureOf(send(down.url, { allowed: [down.url], allowPrivateAddresses: true }));
      expect(failure.type).toBe(FailureType.CallbackUnavailable);
      expect(failure.nonRetryable).toBe(false);
    } finally {
      await down.close();
    }
  });
});
