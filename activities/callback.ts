/**
 * The signed callback to the product backend. The body carries ids and the outcome only; the signature lets
 * the receiver check origin and freshness: `X-Onboarding-Signature: t=<unix seconds>, v1=<hex HMAC-SHA256 of
 * "<t>.<body>">`, the same scheme Ondato uses towards us.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { CallbackEvent } from '../workflows/types';
import { FailureType } from './failure-types';

export const SIGNATURE_HEADER = 'x-onboarding-signature';
export const EVENT_ID_HEADER = 'x-onboarding-event-id';

export function signCallback(secret: string, body: string, timestampSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex');
  return `t=${timestampSeconds}, v1=${mac}`;
}

/** For receivers (and tests): checks the signature and that it is at most `toleranceSeconds` old. */
export function verifyCallbackSignature(
  secret: string,
  body: string,
  header: string | undefined,
  nowSeconds: number = Math.floor(Date.now() / 1000),
  toleranceSeconds = 300,
): boolean {
  const match = /^t=(\d+),\s*v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!match) return false;
  const timestamp = Number(match[1]);
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(signCallback(secret, body, timestamp).split('v1=')[1], 'hex');
  return timingSafeEqual(expected, Buffer.from(match[2], 'hex'));
}

export interface CallbackSenderOptions {
  secret: string;
  timeoutMs: number;
  fetchImpl?: typeof fetch;
}

export async function sendCallback(
  url: string,
  event: CallbackEvent,
  options: CallbackSenderOptions,
  signal?: AbortSignal,
): Promise<void> {
  const body = JSON.stringify(event);
  const timeout = AbortSignal.timeout(options.timeoutMs);
  let response: Response;
  try {
    response = await (options.fetchImpl ?? fetch)(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: signCallback(options.secret, body, Math.floor(Date.now() / 1000)),
        [EVENT_ID_HEADER]: event.eventId,
      },
      body,
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
  } catch (error) {
    throw ApplicationFailure.create({
      message: `callback to the product backend failed: ${error instanceof Error ? error.message : String(error)}`,
      type: FailureType.CallbackUnavailable,
    });
  }
  await response.body?.cancel();
  if (response.ok) return;
  const retryable = response.status === 408 || response.status === 429 || response.status >= 500;
  throw ApplicationFailure.create({
    message: `the product backend answered the callback with HTTP ${response.status}`,
    type: retryable ? FailureType.CallbackUnavailable : FailureType.CallbackRejected,
    nonRetryable: !retryable,
    details: [{ status: response.status }],
  });
}
