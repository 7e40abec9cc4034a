/**
 * The activities' side of the failure policy: which Ondato and storage failures are retried, for how long, and
 * under which failure type (the type is what ops and the API read).
 */
import { Readable } from 'node:stream';
import { ApplicationFailure, type Logger } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities, type ActivityDeps } from '../../activities';
import { toActivityFailure } from '../../activities/ondato-failures';
import type { DocumentStore } from '../../storage/document-store';
import { FailureType } from '../../contract';
import type { OndatoApi } from '../../ondato/api';
import { OndatoError } from '../../ondato/errors';

const policy = { authRetryWindowMs: 60_000 };
// The failures are the point of these tests: keep the activity's own failure log out of the output.
const noop = () => undefined;
const silent: Logger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };

function failureOf(error: OndatoError, elapsedMs = 0): ApplicationFailure {
  const failure = toActivityFailure(error, policy, elapsedMs);
  if (!(failure instanceof ApplicationFailure)) throw new Error('expected an ApplicationFailure');
  return failure;
}

const http = (status: number, operation = 'getKycIdentification') =>
  new OndatoError(`Ondato ${operation}: HTTP ${status}`, { kind: 'http', operation, status });

describe('Ondato failures by the policy', () => {
  it('fails fast when Ondato says the request is wrong', () => {
    for (const status of [400, 404, 422]) {
      const failure = failureOf(http(status, 'createIdentityVerification'));
      expect({ type: failure.type, nonRetryable: failure.nonRetryable }).toEqual({
        type: FailureType.OndatoRequestRejected,
        nonRetryable: true,
      });
    }
  });

  it('retries credential refusals within the window, then gives up with OndatoAuthFailed', () => {
    for (const error of [http(401), http(403), http(400, 'token'), http(401, 'token')]) {
      const early = failureOf(error, 59_000);
      expect({ type: early.type, nonRetryable: early.nonRetryable }).toEqual({
        type: FailureType.OndatoAuthFailed,
        nonRetryable: false,
      });
      const late = failureOf(error, 60_000);
      expect({ type: late.type, nonRetryable: late.nonRetryable }).toEqual({
        type: FailureType.OndatoAuthFailed,
        nonRetryable: true,
      });
    }
  });

  it('retries unavailability with Retry-After, and malformed answers', () => {
    const throttled = failureOf(
      new OndatoError('Ondato getKycIdentification: HTTP 429', {
        kind: 'http',
        operation: 'getKycIdentification',
        status: 429,
        retryAfterMs: 3_000,
      }),
    );
    expect({ type: throttled.type, nonRetryable: throttled.nonRetryable }).toEqual({
      type: FailureType.OndatoUnavailable,
      nonRetryable: false,
    });
    expect(throttled.nextRetryDelay).toBe(3_000);
    for (const error of [
      http(503),
      new OndatoError('reset', { kind: 'network', operation: 'getIdentityVerification' }),
      new OndatoError('slow', { kind: 'timeout', operation: 'token' }),
    ]) {
      expect(failureOf(error).type).toBe(FailureType.OndatoUnavailable);
      expect(failureOf(error).nonRetryable).toBe(false);
    }
    const malformed = failureOf(
      new OndatoError('bad body', { kind: 'malformed_response', operation: 'getKycIdentification' }),
    );
    expect({ type: malformed.type, nonRetryable: malformed.nonRetryable }).toEqual({
      type: FailureType.OndatoMalformedResponse,
      nonRetryable: false,
    });
  });
});

describe('document copies', () => {
  function activitiesWith(download: () => Readable, store: Partial<DocumentStore>) {
    const ondato = {
      downloadKycFile: async () => ({ stream: download(), contentType: 'image/jpeg', contentLength: 6 }),
    } as Partial<OndatoApi> as OndatoApi;
    const deps: ActivityDeps = {
      ondato,
      documents: store as DocumentStore,
      defaultSetupId: 'setup',
      ondatoFailures: policy,
      callbacks: { secret: 'secret' },
    };
    return createActivities(deps);
  }
  const drain = async (body: Readable) => {
    let bytes = 0;
    for await (const chunk of body) bytes += (chunk as Buffer).length;
    return { key: 'k', sha256: 'x', bytes, contentType: 'image/jpeg' };
  };
  const input = { customerId: 'c-1', kycId: 'kyc-1', file: { fileId: 'f-1' } };

  async function copyFailure(download: () => Readable, store: Partial<DocumentStore>) {
    const activities = activitiesWith(download, store);
    return new MockActivityEnvironment({}, { logger: silent }).run(activities.storeDocument, input).then(
      () => undefined,
      (error: unknown) => error as ApplicationFailure,
    );
  }

  it('names a download that broke off OndatoDownloadInterrupted (retryable)', async () => {
    const broken = () =>
      new Readable({
        read() {
          this.push(Buffer.from('abc'));
          this.destroy(
            new OndatoError('Ondato downloadKycFile: connection reset', {
              kind: 'network',
              operation: 'downloadKycFile',
            }),
          );
        },
      });
    const failure = await copyFailure(broken, { put: (_key, body) => drain(body) });
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect({ type: failure?.type, nonRetryable: failure?.nonRetryable }).toEqual({
      type: FailureType.OndatoDownloadInterrupted,
      nonRetryable: false,
    });
  });

  it('survives a download cut while the store is still preparing (no listener yet), naming the download', async () => {
    const cutAtOnce = () => {
      const stream = new Readable({ read() {} });
      setImmediate(() =>
        stream.destroy(
          new OndatoError('Ondato downloadKycFile: terminated', {
            kind: 'network',
            operation: 'downloadKycFile',
          }),
        ),
      );
      return stream;
    };
    // Like the local store: an await (mkdir) before the pipeline reads the body.
    const slowStore = {
      put: async (_key: string, body: Readable) => {
        await new Promise((resolve) => setTimeout(resolve, 30));
        return drain(body);
      },
    };
    const failure = await copyFailure(cutAtOnce, slowStore);
    expect({ type: failure?.type, nonRetryable: failure?.nonRetryable }).toEqual({
      type: FailureType.OndatoDownloadInterrupted,
      nonRetryable: false,
    });
  });

  it('names a short body OndatoDownloadInterrupted', async () => {
    const short = () => Readable.from([Buffer.from('abc')]);
    const failure = await copyFailure(short, { put: (_key, body) => drain(body) });
    expect(failure?.type).toBe(FailureType.OndatoDownloadInterrupted);
  });

  it('names a failing store DocumentStoreFailed (retryable)', async () => {
    const whole = () => Readable.from([Buffer.from('abcdef')]);
    const failure = await copyFailure(whole, {
      put: async () => {
        throw new Error('ENOSPC: no space left on device');
      },
    });
    expect({ type: failure?.type, nonRetryable: failure?.nonRetryable }).toEqual({
      type: FailureType.DocumentStoreFailed,
      nonRetryable: false,
    });
    expect(failure?.message).toContain('ENOSPC');
  });
});
