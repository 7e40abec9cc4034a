/**
 * The record store contract against a real S3 server (SeaweedFS on loopback ports): above all, that the bucket
 * honours the conditional PUT (`If-None-Match: *`) the exclusive create relies on, so two API replicas never
 * both claim one idempotency key. Not part of `npm test`: `npm run test:s3` builds SeaweedFS once, then runs it.
 */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetObjectCommand, NoSuchKey, PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3DocumentSettings } from '../../config';
import { createRecordStore } from '../../storage/record-store-factory';
import { createS3Client } from '../../storage/s3-store';
import {
  findSeaweedfs,
  startSeaweedfs,
  stopLeftoverSeaweedfs,
  type RunningSeaweedfs,
} from '../../scripts/seaweedfs';
import { TEST_KEY_A, testKeyRing } from '../helpers/codec-keys';
import { IdempotencyLedger } from '../../api/idempotency/ledger';
import { createLogger } from '../../observability/logger';
import { describeRecordStoreContract, recordName } from './record-store-contract';

const ACCESS_KEY = 'test-access-key';
const SECRET_KEY = 'test-secret-key-0123456789';
const BUCKET = 'onboarding-records';

let seaweedfs: RunningSeaweedfs;
let dataDir: string;

beforeAll(async () => {
  const binary = findSeaweedfs();
  if (!binary) throw new Error('No SeaweedFS binary: run `npm run test:s3`, which builds it once.');
  dataDir = path.join(tmpdir(), 'ondato-onboarding-record-store-test');
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

function settings(): S3DocumentSettings {
  return {
    bucket: BUCKET,
    prefix: 'documents/',
    endpoint: seaweedfs.endpoint,
    region: seaweedfs.region,
    forcePathStyle: true,
    credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
    serverSideEncryption: { mode: 'none' },
    partSizeBytes: 5 * 1024 * 1024,
    queueSize: 2,
  };
}

describeRecordStoreContract('S3 (SeaweedFS)', async () => {
  const client = createS3Client(settings());
  return {
    store: createRecordStore(
      { store: 's3', dir: '.', s3: settings() },
      testKeyRing([TEST_KEY_A]),
      '_records',
    ),
    readRaw: async (name) => {
      try {
        const object = await client.send(
          new GetObjectCommand({ Bucket: BUCKET, Key: `documents/_records/${name}` }),
        );
        return Buffer.from(await object.Body!.transformToByteArray());
      } catch (error) {
        if (error instanceof NoSuchKey) return undefined;
        throw error;
      }
    },
  };
});

describe('idempotency claims of two API replicas on one bucket', () => {
  it('lets one replica claim a key, tells the other it is in flight, then replays the answer there', async () => {
    // Two stores with their own S3 clients: what two API processes have.
    const ledger = () =>
      new IdempotencyLedger(
        createRecordStore(
          { store: 's3', dir: '.', s3: settings() },
          testKeyRing([TEST_KEY_A]),
          '_idempotency',
        ),
        { ttlMs: 60_000, leaseMs: 60_000, logger: createLogger({ level: 'silent' }) },
      );
    const [replicaA, replicaB] = [ledger(), ledger()];
    const name = recordName();
    const fingerprint = 'a'.repeat(64);
    const claims = await Promise.all([replicaA.claim(name, fingerprint), replicaB.claim(name, fingerprint)]);
    const winner = claims.findIndex((claim) => claim.kind === 'claimed');
    expect(winner).toBeGreaterThanOrEqual(0);
    expect(claims[1 - winner]).toEqual({ kind: 'in_flight', retryAfterSeconds: 1 });
    const won = claims[winner];
    if (won.kind !== 'claimed') throw new Error('unreachable');
    const answer = { status: 201, headers: { 'Content-Type': 'application/json' }, body: 'eyJvayI6dHJ1ZX0=' };
    await [replicaA, replicaB][winner].settle(won.claim, answer);
    expect(await [replicaA, replicaB][1 - winner].claim(name, fingerprint)).toEqual({
      kind: 'replay',
      answer,
    });
    expect(await [replicaA, replicaB][1 - winner].claim(name, 'b'.repeat(64))).toEqual({ kind: 'reused' });
  });
});

describe('S3 conditional PUT (SeaweedFS)', () => {
  it('refuses If-None-Match: * on an existing key with 412 (the control for the exclusive create)', async () => {
    const client = createS3Client(settings());
    const key = `probe/${recordName()}`;
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'first', IfNoneMatch: '*' }));
    await expect(
      client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'second', IfNoneMatch: '*' })),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 412 } });
    const kept = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(await kept.Body!.transformToString()).toBe('first');
  });
});
