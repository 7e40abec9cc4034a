/**
 * Logs carry ids, stages and outcomes, never registration data or secrets: an end-to-end run over HTTP with
 * every log line captured (the API's pino output, and everything the Temporal SDK logs at trace level through
 * the Runtime logger: worker, activities, workflows), plus the redaction safety net on its own.
 */
import { ApplicationFailure } from '@temporalio/common';
import request from 'supertest';
import type { OnboardingLink, OnboardingStatus } from '../../api/schemas';
import { createLogger, REDACTED } from '../../observability/logger';
import { PinoRuntimeLogger } from '../../observability/runtime-logger';
import {
  bearer,
  createApiTestEnv,
  REGISTRATION,
  uniqueCustomerId,
  type ApiTestEnv,
} from '../api/support/api-env';
import { captureRuntimeLogs } from '../harness/runtime-log';
import { waitFor } from '../helpers/wait-for';
import { foundNeedles, readableText, registrationNeedles } from './support';

jest.setTimeout(60_000);

const SECRETS = ['Bearer test-api-key', 'hook-password', 'callback-secret', 'api-test-secret'];

/** The lines as text, with every base64 string in them decoded too (the SDK logs payload bytes as base64). */
function readable(lines: string): string {
  return lines
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => `${line}\n${readableText(JSON.parse(line))}`)
    .join('\n');
}

function capture() {
  const lines: string[] = [];
  const logger = createLogger({
    level: 'trace',
    destination: { write: (line: string) => void lines.push(line) },
  });
  return { logger, text: () => lines.join('') };
}

describe('the redaction safety net', () => {
  it('redacts personal fields and credentials wherever they appear, without touching the caller’s objects', () => {
    const { logger, text } = capture();
    const headers = { Authorization: 'Bearer test-api-key', cookie: 'session=1', 'x-api-key': 'k-123' };
    logger.info(
      {
        registration: REGISTRATION,
        firstName: REGISTRATION.firstName,
        body: { customer: { email: REGISTRATION.email, phoneNumber: REGISTRATION.phoneNumber } },
        kyc: {
          document: {
            lastName: REGISTRATION.lastName,
            personalCode: REGISTRATION.personalCode,
            documentNumber: 'LT1234567',
          },
        },
        deep: { a: { b: { c: { d: { e: { dateOfBirth: REGISTRATION.dateOfBirth } } } } } },
        reviews: [{ reviewerId: 'ops-anna', email: REGISTRATION.email }],
        req: { headers },
        clientSecret: 'api-test-secret',
        options: { password: 'hook-password', hmacSecret: 'hmac-1', token: 'tok-1' },
        customerId: 'c-42',
      },
      'everything that must not leak',
    );
    const line = text();
    expect(foundNeedles(line, registrationNeedles(REGISTRATION))).toEqual([]);
    for (const secret of [...SECRETS, 'session=1', 'k-123', 'hmac-1', 'tok-1', 'LT1234567'])
      expect(line).not.toContain(secret);
    expect(line).toContain(REDACTED);
    expect(JSON.parse(line)).toMatchObject({
      customerId: 'c-42',
      registration: REDACTED,
      reviews: [{ reviewerId: 'ops-anna', email: REDACTED }],
      req: { headers: { Authorization: REDACTED } },
    });
    expect(headers.Authorization).toBe('Bearer test-api-key'); // copy-on-write
  });

  it('logs errors as name, message and stack: never a failure’s details', () => {
    const { logger, text } = capture();
    const failure = ApplicationFailure.create({
      message: 'Ondato createVerification failed with HTTP 400 (ValidationFailed)',
      type: 'OndatoRequestRejected',
      details: [{ params: { 'registration.email': [{ message: `${REGISTRATION.email} is not allowed` }] } }],
    });
    logger.error({ err: failure }, 'activity failed');
    new PinoRuntimeLogger(logger).warn('Activity failed', {
      error: failure,
      activityType: 'createVerification',
    });
    const [fromPino, fromRuntime] = text()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(fromPino.err).toMatchObject({
      type: 'ApplicationFailure',
      failureType: 'OndatoRequestRejected',
      message: failure.message,
    });
    expect(fromRuntime).toMatchObject({
      level: 40,
      msg: 'Activity failed',
      activityType: 'createVerification',
      error: { failureType: 'OndatoRequestRejected' },
    });
    expect(text()).not.toContain(REGISTRATION.email);
  });
});

describe('logs of an end-to-end onboarding', () => {
  let env: ApiTestEnv;

  beforeAll(async () => {
    env = await createApiTestEnv();
  });
  afterAll(async () => {
    await env?.close();
  });

  it('hold ids and outcomes, none of the registration values or secrets', async () => {
    const runtime = captureRuntimeLogs();
    let link: OnboardingLink;
    const customerId = uniqueCustomerId('logs');
    try {
      const started = await request(env.app)
        .post('/v1/onboardings')
        .set('Authorization', bearer())
        .send({ customerId, registration: REGISTRATION, callbackUrl: env.callbacks.url });
      expect(started.status).toBe(201);
      link = started.body as OnboardingLink;
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
      // A refused start (Ondato 400) logs its failure too.
      await env.control.setFault({ route: 'createIdv', mode: 'status', status: 400, times: 1 });
      const refused = await request(env.app)
        .post('/v1/onboardings')
        .set('Authorization', bearer())
        .send({ customerId: uniqueCustomerId('logs'), registration: REGISTRATION });
      expect(refused.status).toBe(502);
      // Let the SDK's buffered log lines land.
      await new Promise((resolve) => setTimeout(resolve, 300));
    } finally {
      runtime.stop();
    }

    const sdkLogs = readable(runtime.text());
    const apiLogs = readable(env.logs.text());
    // The capture worked: the SDK logged the run (activities, workflow) and the API logged its requests.
    expect(sdkLogs).toContain(link.workflowId);
    expect(sdkLogs).toContain('Activity completed');
    expect(sdkLogs).toContain('OndatoRequestRejected');
    // At trace level the SDK logs whole activations, payloads included: here they are ciphertext.
    expect(sdkLogs).toContain('Got workflow activation');
    expect(sdkLogs).toContain('binary/encrypted');
    expect(apiLogs).toContain(customerId);

    expect(foundNeedles(sdkLogs, registrationNeedles(REGISTRATION))).toEqual([]);
    expect(foundNeedles(apiLogs, registrationNeedles(REGISTRATION))).toEqual([]);
    for (const secret of SECRETS) {
      expect(sdkLogs).not.toContain(secret);
      expect(apiLogs).not.toContain(secret);
    }
  });
});
