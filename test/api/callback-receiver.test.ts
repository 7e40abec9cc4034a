/**
 * The receiver example (examples/callback-receiver.mjs) as a product backend would run it, as its own Node
 * process: it takes a real delivery from a real run, verifies the signature, refuses forged and stale ones,
 * and takes a repeated event once (answering 2xx, so the service stops delivering it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import request from 'supertest';
import { sendCallback } from '../../activities/callback';
import { sign, CALLBACK_SIGNATURE } from '../../codec/hmac-signature';
import type { CallbackTargets } from '../../config/callback-targets';
import { callbackEventId, CALLBACK_SIGNATURE_HEADER, FailureType, type CallbackEvent } from '../../contract';
import { waitFor } from '../helpers/wait-for';
import {
  bearer,
  CALLBACK_SECRET,
  createApiTestEnv,
  FAST_TIMEOUTS,
  REGISTRATION,
  uniqueCustomerId,
  type ApiTestEnv,
} from './support/api-env';

const EXAMPLE = path.resolve(__dirname, '..', '..', 'examples', 'callback-receiver.mjs');

interface Example {
  url: string;
  port: number;
  lines: string[];
  process: ChildProcess;
}

async function startExample(secret: string): Promise<Example> {
  const child = spawn(process.execPath, [EXAMPLE], {
    env: { ...process.env, CALLBACK_SECRET: secret, PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  let buffered = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const complete = buffered.split('\n');
    buffered = complete.pop() ?? '';
    lines.push(...complete);
  });
  const url = await waitFor(
    async () => lines.map((line) => /^listening on (\S+)$/.exec(line)?.[1]).find(Boolean),
    { timeoutMs: 10_000, intervalMs: 50, what: 'the example to listen' },
  );
  return { url, port: Number(new URL(url).port), lines, process: child };
}

function stopExample(example: Example | undefined): Promise<void> {
  if (!example || example.process.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    example.process.once('exit', () => resolve());
    example.process.kill('SIGTERM');
  });
}

describe('the callback receiver example', () => {
  let example: Example;
  let targets: CallbackTargets;
  beforeAll(async () => {
    example = await startExample(CALLBACK_SECRET);
    targets = { allowed: [example.url], allowPrivateAddresses: true };
  });
  afterAll(() => stopExample(example));

  const event = (customerId: string): CallbackEvent => ({
    eventId: callbackEventId(`onboarding-${customerId}`, 'run-1', 'onboarding.completed'),
    type: 'onboarding.completed',
    customerId,
    workflowId: `onboarding-${customerId}`,
    outcome: 'approved',
    reasons: ['ondato_approved'],
    occurredAt: new Date().toISOString(),
  });
  const linesSince = (from: number) => example.lines.slice(from);

  it('takes an event once, however often it is delivered', async () => {
    const first = event('c-receiver-1');
    const from = example.lines.length;
    await sendCallback(example.url, first, { secret: CALLBACK_SECRET, timeoutMs: 5_000, targets });
    await sendCallback(example.url, first, { secret: CALLBACK_SECRET, timeoutMs: 5_000, targets });
    await waitFor(async () => linesSince(from).length >= 2 || undefined, { what: 'two lines' });
    expect(linesSince(from)).toEqual([
      `accepted ${first.eventId} onboarding.completed approved`,
      `duplicate ${first.eventId}`,
    ]);
  });

  it('refuses a delivery signed with another secret, for good', async () => {
    const from = example.lines.length;
    const refused = await sendCallback(example.url, event('c-receiver-2'), {
      secret: 'not-the-shared-secret',
      timeoutMs: 5_000,
      targets,
    }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ApplicationFailure);
    expect(refused).toMatchObject({ type: FailureType.CallbackRejected, nonRetryable: true });
    await waitFor(async () => linesSince(from)[0], { what: 'the refusal' });
    expect(linesSince(from)).toEqual(['refused wrong signature']);
  });

  it('refuses a replay of a signed delivery once the signature is stale', async () => {
    const body = JSON.stringify(event('c-receiver-3'));
    const tenMinutesAgo = Math.floor(Date.now() / 1000) - 600;
    const from = example.lines.length;
    const response = await request(example.url)
      .post('')
      .set('content-type', 'application/json')
      .set(CALLBACK_SIGNATURE_HEADER, sign(CALLBACK_SIGNATURE, CALLBACK_SECRET, body, tenMinutesAgo))
      .send(body);
    expect(response.status).toBe(401);
    await waitFor(async () => linesSince(from)[0], { what: 'the refusal' });
    expect(linesSince(from)).toEqual(['refused stale signature']);
  });

  describe('with a real run', () => {
    let env: ApiTestEnv;
    beforeAll(async () => {
      // The example is the backend this service may call (loopback: allowed explicitly).
      env = await createApiTestEnv({ env: { CALLBACK_ALLOWED_URLS: `127.0.0.1:${example.port}` } });
    });
    afterAll(async () => {
      await env?.close();
    });

    it('takes the completion callback of an approved onboarding', async () => {
      const customerId = uniqueCustomerId('receiver');
      const from = example.lines.length;
      const started = await request(env.app)
        .post('/v1/onboardings')
        .set('Authorization', bearer())
        .send({ customerId, registration: REGISTRATION, callbackUrl: example.url, timeouts: FAST_TIMEOUTS });
      expect(started.status).toBe(201);
      await env.control.complete(started.body.idvId as string, { outcome: 'approved' });
      const accepted = await waitFor(
        async () => linesSince(from).find((line) => line.startsWith('accepted ')),
        { timeoutMs: 30_000, intervalMs: 200, what: 'the example to take the callback' },
      );
      expect(accepted).toBe(
        `accepted onboarding-${customerId}/${started.body.runId as string}/onboarding.completed onboarding.completed approved`,
      );
      expect(linesSince(from).filter((line) => line.startsWith('refused'))).toEqual([]);
    });
  });
});
