/**
 * The signed callback to the product backend. The body carries ids and the outcome only; the signature lets
 * the receiver check origin and freshness (codec/hmac-signature.ts: the scheme Ondato uses towards us, label
 * `v1`).
 */
import { ApplicationFailure } from '@temporalio/common';
import { CALLBACK_SIGNATURE, checkSignature, sign } from '../codec/hmac-signature';
import {
  CALLBACK_EVENT_ID_HEADER,
  CALLBACK_SIGNATURE_HEADER,
  FailureType,
  type CallbackEvent,
} from '../contract';

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
        [CALLBACK_SIGNATURE_HEADER]: sign(
          CALLBACK_SIGNATURE,
          options.secret,
          body,
          Math.floor(Date.now() / 1000),
        ),
        [CALLBACK_EVENT_ID_HEADER]: event.eventId,
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
