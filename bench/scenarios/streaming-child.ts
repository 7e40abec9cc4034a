/**
 * The process whose memory the streaming scenario watches. It loads the real activities, warms up like a worker
 * that has been running (modules, token, one small document through the same path, so the streaming code is
 * compiled), settles its heap, says `ready`, and on `go` streams the large document, then reports bytes and time:
 *   - mode `activity`: the storeDocument activity (Ondato client → hashing → local store), run through
 *     MockActivityEnvironment, as the worker would run it;
 *   - mode `plain`: a bare fetch of the same URL piped to /dev/null, what Node itself costs for a download.
 *
 * Usage (by the scenario):
 *   node --expose-gc --import tsx streaming-child.ts <mode> <kycId> <fileId> <warm-up kycId> <warm-up fileId>
 * with the service's configuration in the environment.
 */
import { createWriteStream } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities, type StoreDocumentInput } from '../../activities';
import { loadConfig } from '../../config';
import { activityDepsFromConfig } from '../../composition/worker';
import type { StoredDocument } from '../../contract';
import type { StreamingChildMessage, StreamingParentMessage } from './streaming-protocol';

const [mode, kycId, fileId, warmKycId, warmFileId] = process.argv.slice(2);

function send(message: StreamingChildMessage): void {
  process.send?.(message);
}

async function main(): Promise<void> {
  if ((mode !== 'activity' && mode !== 'plain') || !kycId || !fileId || !warmKycId || !warmFileId) {
    throw new Error('usage: <activity|plain> <kycId> <fileId> <warm-up kycId> <warm-up fileId>');
  }
  const config = loadConfig(process.env);
  const activities = createActivities(activityDepsFromConfig(config));
  const environment = new MockActivityEnvironment();
  const token = await bearerToken(
    config.ondato.hosts.tokenUrl,
    config.ondato.clientId,
    config.ondato.clientSecret,
  );
  const fileUrl = (kyc: string, file: string): string =>
    `${config.ondato.hosts.kycApiUrl}/v1/identifications/${kyc}/files/${file}`;
  const download = (kyc: string, file: string): Promise<{ bytes: number; sha256?: string }> =>
    mode === 'activity'
      ? environment
          .run<[StoreDocumentInput], StoredDocument, typeof activities.storeDocument>(
            activities.storeDocument,
            {
              customerId: 'bench-streaming',
              kycId: kyc,
              file: { fileId: file },
            },
          )
          .then((stored) => ({ bytes: stored.bytes, sha256: stored.sha256 }))
      : plainDownload(fileUrl(kyc, file), token).then((bytes) => ({ bytes }));
  await download(warmKycId, warmFileId);
  settleHeap();

  process.once('message', (message: StreamingParentMessage) => {
    if (message.kind !== 'go') return;
    const began = performance.now();
    download(kycId, fileId).then(
      ({ bytes, sha256 }) => send({ kind: 'done', bytes, sha256, ms: performance.now() - began }),
      (error: unknown) =>
        send({ kind: 'failed', message: error instanceof Error ? error.message : String(error) }),
    );
  });
  send({ kind: 'ready' });
}

async function plainDownload(url: string, token: string): Promise<number> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  if (!response.ok || !response.body) throw new Error(`download answered ${response.status}`);
  let bytes = 0;
  const body = Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>);
  body.on('data', (chunk: Buffer) => (bytes += chunk.length));
  await pipeline(body, createWriteStream('/dev/null'));
  return bytes;
}

async function bearerToken(tokenUrl: string, clientId: string, clientSecret: string): Promise<string> {
  const response = await fetch(tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
    }),
  });
  const body = (await response.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`no token (HTTP ${response.status})`);
  return body.access_token;
}

/** Collects the warm-up's garbage, so growth is measured from a settled heap. */
function settleHeap(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
}

main().catch((error: unknown) => {
  send({ kind: 'failed', message: error instanceof Error ? error.message : String(error) });
  process.exitCode = 1;
});
