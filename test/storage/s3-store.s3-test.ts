/**
 * The document store contract against a real S3 server (SeaweedFS, started here on loopback ports), plus what
 * only the S3 store does: multipart uploads that leave no parts behind, bucket-side encryption (SSE-S3, SSE-C),
 * key prefixes, and a clear error for wrong credentials.
 *
 * Not part of `npm test` (the first build of SeaweedFS takes minutes): `npm run test:s3` builds it once into the
 * tool cache, then runs this file.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import {
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { createS3Client, DocumentStoreAccessError, S3DocumentStore } from '../../storage/s3-store';
import { createDocumentStore } from '../../storage/store-factory';
import type { S3DocumentSettings } from '../../config';
import { loadConfig } from '../../config';
import {
  findSeaweedfs,
  startSeaweedfs,
  stopLeftoverSeaweedfs,
  type RunningSeaweedfs,
} from '../../scripts/seaweedfs';
import { TEST_KEY_A, testKeyRing } from '../helpers/codec-keys';
import {
  chunked,
  describeDocumentStoreContract,
  fakeDocument,
  readAll,
  sha256,
} from './document-store-contract';

const ACCESS_KEY = 'test-access-key';
const SECRET_KEY = 'test-secret-key-0123456789';
const BUCKET = 'onboarding-documents';
const PART_BYTES = 5 * 1024 * 1024;
const keys = testKeyRing([TEST_KEY_A]);

let seaweedfs: RunningSeaweedfs;
let dataDir: string;

beforeAll(async () => {
  const binary = findSeaweedfs();
  if (!binary) throw new Error('No SeaweedFS binary: run `npm run test:s3`, which builds it once.');
  // One fixed directory: a run killed before its afterAll left its server's pid there, and this stops it.
  dataDir = path.join(tmpdir(), 'ondato-onboarding-s3-store-test');
  stopLeftoverSeaweedfs(dataDir);
  rmSync(dataDir, { recursive: true, force: true });
  seaweedfs = await startSeaweedfs({
    binaryPath: binary.path,
    dataDir,
    accessKey: ACCESS_KEY,
    secretKey: SECRET_KEY,
    buckets: [BUCKET],
    sseKey: 'seaweedfs-sse-s3-test-secret',
  });
}, 120_000);

afterAll(async () => {
  await seaweedfs?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

function settings(overrides: Partial<S3DocumentSettings> = {}): S3DocumentSettings {
  return {
    bucket: BUCKET,
    prefix: '',
    endpoint: seaweedfs.endpoint,
    region: seaweedfs.region,
    forcePathStyle: true,
    credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
    serverSideEncryption: { mode: 'none' },
    partSizeBytes: PART_BYTES,
    queueSize: 2,
    ...overrides,
  };
}

/** Everything under `prefix` in the bucket: finished objects and unfinished multipart uploads. */
async function listEverything(client: S3Client, prefix: string): Promise<string[]> {
  const objects = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: prefix }));
  const named = (key: string | undefined): string => (key ?? '?').slice(prefix.length);
  return [
    ...(objects.Contents ?? []).map((object) => named(object.Key)),
    ...(uploads.Uploads ?? []).map((upload) => `(unfinished upload) ${named(upload.Key)}`),
  ].sort();
}

describeDocumentStoreContract(
  'S3 (SeaweedFS)',
  async () => {
    const prefix = 'contract/';
    const client = createS3Client(settings());
    return {
      store: new S3DocumentStore(client, settings({ prefix }), keys),
      readRaw: async (key) =>
        Buffer.from(
          await (
            await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: `${prefix}${key}` }))
          ).Body!.transformToByteArray(),
        ),
      writeRaw: async (key, bytes) => {
        await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}${key}`, Body: bytes }));
      },
      listEverything: () => listEverything(client, prefix),
    };
  },
  { partBytes: PART_BYTES },
);

describe('S3 document store, beyond the contract', () => {
  it('builds from configuration: DOCUMENT_STORE=s3 with the DOCUMENT_S3_* variables', async () => {
    const config = loadConfig({
      DOCUMENT_STORE: 's3',
      DOCUMENT_S3_BUCKET: BUCKET,
      DOCUMENT_S3_PREFIX: 'from-config',
      DOCUMENT_S3_ENDPOINT: seaweedfs.endpoint,
      DOCUMENT_S3_FORCE_PATH_STYLE: 'true',
      DOCUMENT_S3_ACCESS_KEY_ID: ACCESS_KEY,
      DOCUMENT_S3_SECRET_ACCESS_KEY: SECRET_KEY,
      DOCUMENT_S3_SSE: 'sse-s3',
    });
    const store = createDocumentStore(config.documents, keys);
    expect(store).toBeInstanceOf(S3DocumentStore);
    const original = fakeDocument(10_000);
    await store.put('c-1/kyc-1/a.jpg', chunked(original, 1000), { contentType: 'image/jpeg' });
    const client = createS3Client(settings());
    expect(await listEverything(client, 'from-config/')).toEqual(['c-1/kyc-1/a.jpg']);
    expect((await readAll(await store.get('c-1/kyc-1/a.jpg'))).equals(original)).toBe(true);
  });

  it("erases a customer's prefix: objects, and a multipart upload a dead worker left unfinished", async () => {
    const client = createS3Client(settings());
    const store = new S3DocumentStore(client, settings({ prefix: 'erase/' }), keys);
    await store.put('c-9/kyc-1/a.jpg', chunked(fakeDocument(5000), 1000), { contentType: 'image/jpeg' });
    await store.put('c-10/kyc-1/a.jpg', chunked(fakeDocument(5000), 1000), { contentType: 'image/jpeg' });
    // A worker killed mid-copy never aborts its upload: its parts hold document bytes.
    const { UploadId } = await client.send(
      new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'erase/c-9/kyc-1/b.jpg' }),
    );
    await client.send(
      new UploadPartCommand({
        Bucket: BUCKET,
        Key: 'erase/c-9/kyc-1/b.jpg',
        UploadId,
        PartNumber: 1,
        Body: randomBytes(PART_BYTES),
      }),
    );
    expect(await listEverything(client, 'erase/c-9/')).toEqual([
      '(unfinished upload) kyc-1/b.jpg',
      'kyc-1/a.jpg',
    ]);

    expect(await store.deletePrefix('c-9/')).toBe(1);
    expect(await listEverything(client, 'erase/c-9/')).toEqual([]);
    // `c-9/` is not a prefix of `c-10/`: the other customer keeps its document.
    expect(await store.list('c-10/')).toEqual(['c-10/kyc-1/a.jpg']);
  });

  it('encrypts at the bucket too with SSE-S3 (AES256), multipart included', async () => {
    const client = createS3Client(settings());
    const store = new S3DocumentStore(client, settings({ serverSideEncryption: { mode: 'sse-s3' } }), keys);
    const original = fakeDocument(PART_BYTES * 2 + 5);
    const stored = await store.put('sse-s3/doc.jpg', chunked(original, 256 * 1024), {
      contentType: 'image/jpeg',
    });
    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'sse-s3/doc.jpg' }));
    expect(head.ServerSideEncryption).toBe('AES256');
    expect(sha256(await readAll(await store.get('sse-s3/doc.jpg')))).toBe(stored.sha256);
  });

  it('encrypts with a customer key (SSE-C): reads need the same key', async () => {
    const client = createS3Client(settings());
    const customerKey = randomBytes(32);
    const store = new S3DocumentStore(
      client,
      settings({ serverSideEncryption: { mode: 'sse-c', key: customerKey } }),
      keys,
    );
    const original = fakeDocument(PART_BYTES + 1234);
    await store.put('sse-c/doc.jpg', chunked(original, 256 * 1024), { contentType: 'image/jpeg' });
    expect((await readAll(await store.get('sse-c/doc.jpg'))).equals(original)).toBe(true);

    // Without the key, or with another one, the bucket refuses to serve the object.
    await expect(
      client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'sse-c/doc.jpg' })),
    ).rejects.toThrow();
    const otherKey = new S3DocumentStore(
      client,
      settings({ serverSideEncryption: { mode: 'sse-c', key: randomBytes(32) } }),
      keys,
    );
    await expect(otherKey.get('sse-c/doc.jpg')).rejects.toThrow();
  });

  it('names the problem when the credentials are wrong, and leaves nothing behind', async () => {
    const wrong = settings({ credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: 'not-the-secret' } });
    const store = new S3DocumentStore(createS3Client(wrong), wrong, keys);
    const attempt = store.put('wrong-credentials/doc.jpg', chunked(fakeDocument(PART_BYTES * 2), 65_536), {
      contentType: 'image/jpeg',
    });
    await expect(attempt).rejects.toThrow(DocumentStoreAccessError);
    await expect(attempt).rejects.toThrow(
      /refused the upload of document wrong-credentials\/doc\.jpg \(SignatureDoesNotMatch|AccessDenied|InvalidAccessKeyId/,
    );
    await expect(attempt).rejects.toThrow(/bucket "onboarding-documents"/);

    const unknown = settings({ credentials: { accessKeyId: 'nobody', secretAccessKey: 'nothing' } });
    await expect(
      new S3DocumentStore(createS3Client(unknown), unknown, keys).get('contract/anything.jpg'),
    ).rejects.toThrow(DocumentStoreAccessError);
    expect(await listEverything(createS3Client(settings()), 'wrong-credentials/')).toEqual([]);
  });

  it('stops reading an endless source when the bucket refuses the upload (no stall on backpressure)', async () => {
    const wrong = settings({ credentials: { accessKeyId: 'nobody', secretAccessKey: 'nothing' } });
    const store = new S3DocumentStore(createS3Client(wrong), wrong, keys);
    let produced = 0;
    const endless = new Readable({
      read() {
        produced += 64 * 1024;
        this.push(Buffer.alloc(64 * 1024, 1));
      },
    });
    await expect(store.put('x/doc.jpg', endless, { contentType: 'image/jpeg' })).rejects.toThrow(
      DocumentStoreAccessError,
    );
    expect(endless.destroyed).toBe(true);
    expect(produced).toBeLessThan(64 * 1024 * 1024);
  });
});
