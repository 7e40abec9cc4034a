/**
 * `storeDocuments`, every file of an identification in one activity: a few copies at a time, the record sorted
 * by key, the stored files in every heartbeat, a retry that skips them, and the first failure failing the
 * attempt (after the copies running beside it stopped).
 */
import { Readable } from 'node:stream';
import { ApplicationFailure, type Logger } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities, type ActivityDeps } from '../../activities';
import {
  DOCUMENT_CONCURRENCY,
  type StoreDocumentsInput,
  type StoreDocumentsProgress,
} from '../../activities/documents';
import { FailureType, type StoredDocument } from '../../contract';
import type { OndatoApi } from '../../ondato/api';
import type { DocumentStore } from '../../storage/document-store';

const noop = () => undefined;
const silent: Logger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };
const files = ['f-5', 'f-1', 'f-4', 'f-2', 'f-3'].map((fileId) => ({ fileId, part: 'FrontSide' }));
const input = { customerId: 'c-1', kycId: 'kyc-1', files };

/** An in-memory store that takes `delayMs` per file and fails the files listed in `failing`. */
function fakeStore(options: { failing?: Set<string>; delayMs?: (key: string) => number } = {}) {
  const puts: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const store: Pick<DocumentStore, 'put'> = {
    async put(key, body, putOptions) {
      puts.push(key);
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        let bytes = 0;
        for await (const chunk of body) bytes += (chunk as Buffer).length;
        putOptions?.onProgress?.(bytes);
        await new Promise((resolve) => setTimeout(resolve, options.delayMs?.(key) ?? 5));
        if (putOptions?.signal?.aborted) throw new Error('aborted');
        if ([...(options.failing ?? [])].some((fileId) => key.includes(fileId))) throw new Error('disk full');
        return { key, sha256: `sha-${key}`, bytes, contentType: 'image/jpeg' };
      } finally {
        inFlight -= 1;
      }
    },
  };
  return { store, puts, maxInFlight: () => maxInFlight };
}

function activitiesOver(store: Pick<DocumentStore, 'put'>) {
  const ondato = {
    downloadKycFile: async () => ({
      stream: Readable.from([Buffer.from('abc'), Buffer.from('def')]),
      contentType: 'image/jpeg',
      contentLength: 6,
    }),
  } as Partial<OndatoApi> as OndatoApi;
  const deps: ActivityDeps = {
    ondato,
    documents: store as DocumentStore,
    defaultSetupId: 'setup',
    ondatoFailures: { authRetryWindowMs: 60_000 },
    callbacks: { secret: 'secret' },
  };
  return createActivities(deps);
}

function environment(heartbeatDetails?: StoreDocumentsProgress) {
  const mock = new MockActivityEnvironment(heartbeatDetails ? { heartbeatDetails } : {}, { logger: silent });
  const beats: StoreDocumentsProgress[] = [];
  mock.on('heartbeat', (details: StoreDocumentsProgress) => beats.push(details));
  const env = {
    run: (activities: ReturnType<typeof activitiesOver>, request: StoreDocumentsInput) =>
      mock.run(activities.storeDocuments, request) as Promise<StoredDocument[]>,
  };
  return { env, beats };
}

describe('storeDocuments', () => {
  it('copies every file, a few at a time, and returns them sorted by key', async () => {
    const { store, puts, maxInFlight } = fakeStore({ delayMs: (key) => (key.includes('f-5') ? 60 : 10) });
    const { env, beats } = environment();
    const stored = await env.run(activitiesOver(store), input);

    expect(stored.map((document) => document.fileId)).toEqual(['f-1', 'f-2', 'f-3', 'f-4', 'f-5']);
    expect(stored.every((document) => document.bytes === 6 && document.part === 'FrontSide')).toBe(true);
    expect(puts).toHaveLength(5);
    expect(maxInFlight()).toBe(DOCUMENT_CONCURRENCY);
    // Every finished file is in a heartbeat, so a retry knows it.
    expect(
      beats
        .at(-1)
        ?.stored.map((document) => document.fileId)
        .sort(),
    ).toEqual(['f-1', 'f-2', 'f-3', 'f-4', 'f-5']);
  });

  it('a retry copies only the files an earlier attempt did not store', async () => {
    const earlier: StoredDocument[] = ['f-1', 'f-4'].map((fileId) => ({
      key: `c-1/kyc-1/${fileId}.jpg`,
      sha256: `sha-${fileId}`,
      bytes: 6,
      contentType: 'image/jpeg',
      fileId,
    }));
    const { store, puts } = fakeStore();
    const { env } = environment({ stored: earlier, bytes: 12 });
    const stored = await env.run(activitiesOver(store), input);

    expect(puts.map((key) => key.split('/').at(-1)).sort()).toEqual(['f-2.jpg', 'f-3.jpg', 'f-5.jpg']);
    expect(stored.map((document) => document.fileId)).toEqual(['f-1', 'f-2', 'f-3', 'f-4', 'f-5']);
  });

  it('fails the attempt on the first failure, naming the file, with the files stored so far in its heartbeats', async () => {
    // f-5, f-1 and f-4 start; f-1 is done at once (f-2 starts), f-4 fails at 20 ms: f-3 must never start.
    const delays: Record<string, number> = { 'f-1': 1, 'f-4': 20 };
    const { store, puts } = fakeStore({
      failing: new Set(['f-4']),
      delayMs: (key) => delays[/f-\d/.exec(key)?.[0] ?? ''] ?? 100,
    });
    const { env, beats } = environment();
    const failure = await env.run(activitiesOver(store), input).then(
      () => undefined,
      (error: unknown) => error,
    );

    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: FailureType.DocumentStoreFailed, nonRetryable: false });
    expect((failure as Error).message).toContain('document f-4');
    expect(puts.map((key) => key.split('/').at(-1))).toEqual(['f-5.jpg', 'f-1.jpg', 'f-4.jpg', 'f-2.jpg']);
    expect(beats.at(-1)?.stored.map((document) => document.fileId)).toEqual(['f-1']);
  });

  it('an identification without files stores nothing', async () => {
    const { store, puts } = fakeStore();
    const { env } = environment();
    expect(await env.run(activitiesOver(store), { ...input, files: [] })).toEqual([]);
    expect(puts).toEqual([]);
  });
});
