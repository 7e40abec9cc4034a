/**
 * The signed callback to the product backend. The body carries ids and the outcome only; the signature lets
 * the receiver check origin and freshness (codec/hmac-signature.ts: the scheme Ondato uses towards us, label
 * `v1`).
 */
import { ApplicationFailure } from '@temporalio/common';
import { CALLBACK_SIGNATURE, checkSignature, sign } from '../codec/hmac-signature';
import type { CallbackTargets } from '../config/callback-targets';
import {
  CALLBACK_EVENT_ID_HEADER,
  CALLBACK_SIGNATURE_HEADER,
  FailureType,
  type CallbackEvent,
} from '../contract';
import {
  CallbackTargetRefusedError,
  postToCallbackTarget,
  type HostResolver,
  type PostAnswer,
} from './callback-transport';

/** For receivers (and tests): checks the signature and that it is at most `toleranceSeconds` old. */
export function verifyCallbackSignature(
  secret: string,
  body: string,
  header: string | undefined,
  nowSeconds: number = Math.floor(Date.now() / 1000),
  toleranceSeconds = 300,
): boolean {
  return (
    checkSignature(CALLBACK_SIGNATURE, secret, body, header, { nowSeconds, toleranceSeconds }) === 'valid'
  );
}

export interface CallbackSenderOptions {
  secret: string;
  timeoutMs: number;
  /** Where callbacks may go (config `callbacks.targets`). */
  targets: CallbackTargets;
  /** The DNS resolver (tests give names their own addresses). */
  resolver?: HostResolver;
}

function failureMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Delivers one event. Outcomes: the backend took it (2xx); the target is not allowed or answered a redirect
 * (not retryable: `CallbackTargetRefused`, `CallbackRejected`); the backend refused it (4xx, not retryable) or
 * was unavailable (retryable). Never a silent success.
 */
export async function sendCallback(
  url: string,
  event: CallbackEvent,
  options: CallbackSenderOptions,
  signal?: AbortSignal,
): Promise<void> {
  const body = JSON.stringify(event);
  const timeout = AbortSignal.timeout(options.timeoutMs);
  let answer: PostAnswer;
  try {
    answer = await postToCallbackTarget(url, {
      headers: {
        'content-type': 'application/json',
        [CALLBACK_SIGNATURE_HEADER]: sign(
          CALLBACK_SIGNATURE,
          options.secret,
          body,
          Math.floor(Date.now() / 1000),
        ),
        [CALLBACK_EVENT_ID_HEADER]: event.eventId,
      },
      body,
      targets: options.targets,
      resolver: options.resolver,
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
  } catch (error) {
    if (error instanceof CallbackTargetRefusedError) {
      throw ApplicationFailure.create({
        message: error.message,
        type: FailureType.CallbackTargetRefused,
        nonRetryable: true,
      });
    }
    throw ApplicationFailure.create({
      message: `callback to the product backend failed: ${failureMessage(error)}`,
      type: FailureType.CallbackUnavailable,
    });
  }
  const { status } = answer;
  if (status >= 200 && status < 300) return;
  if (status >= 300 && status < 400) {
    throw ApplicationFailure.create({
      message: `the product backend answered the callback with a redirect (HTTP ${status}); redirects are not followed: configure the final URL`,
      type: FailureType.CallbackRejected,
      nonRetryable: true,
      details: [{ status }],
    });
  }
  const retryable = status === 408 || status === 429 || status >= 500;
  throw ApplicationFailure.create({
    message: `the product backend answered the callback with HTTP ${status}`,
    type: retryable ? FailureType.CallbackUnavailable : FailureType.CallbackRejected,
    nonRetryable: !retryable,
    details: [{ status }],
  });
}
