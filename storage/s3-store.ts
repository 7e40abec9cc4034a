/**
 * Documents in an S3-compatible bucket, encrypted by the service before they leave it (the same AES-256-GCM
 * envelope as the local store, codec/document-cipher.ts) and optionally by the bucket too (SSE-S3 or SSE-C).
 *
 * Uploads stream: a multipart upload of bounded parts with a bounded number in flight, so memory stays at about
 * partSize x (queueSize + 1) whatever the document's size. An upload that fails or is cancelled is aborted:
 * S3 publishes an object only when its upload completes, so a reader never sees a partial document and no
 * parts are left behind. A document smaller than one part goes up as one PUT once its bytes are all in.
 *
 * As with the local store, the reference describes the ORIGINAL bytes (sha256, size), not the ciphertext.
 */
import { PassThrough, pipeline as pipelineWithCallback, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  NoSuchKey,
  NotFound,
  S3Client,
  S3ServiceException,
  type GetObjectCommandInput,
  type PutObjectCommandInput,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { DecryptingStream, EncryptingStream } from '../codec/document-cipher';
import type { KeyRing } from '../codec/keys';
import type { S3DocumentSettings } from '../config';
import {
  assertSafeKey,
  assertSafePrefix,
  type DocumentStore,
  type PutOptions,
  type StoredObject,
} from './document-store';
import { HashingCounter } from './hashing-counter';

/** A refusal of the bucket (credentials, permissions, missing bucket) named so an operator can act on it. */
export class DocumentStoreAccessError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DocumentStoreAccessError';
  }
}

export class DocumentNotFoundError extends Error {
  constructor(key: string) {
    super(`document ${key} not found in the store`);
    this.name = 'DocumentNotFoundError';
  }
}

const ACCESS_ERRORS = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'AccessDenied',
  'NoSuchBucket',
  'InvalidToken',
  'ExpiredToken',
]);

export function createS3Client(settings: S3DocumentSettings): S3Client {
  return new S3Client({
    region: settings.region,
    endpoint: settings.endpoint,
    forcePathStyle: settings.forcePathStyle,
    // Absent: the SDK's default chain (AWS_* variables, profile, instance or pod role).
    credentials: settings.credentials,
    // GCM already authenticates every byte; CRC trailers on every part are not understood by every
    // S3-compatible server.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

export class S3DocumentStore implements DocumentStore {
  constructor(
    private readonly client: S3Client,
    private readonly settings: S3DocumentSettings,
    private readonly keys: KeyRing,
  ) {}

  objectKeyOf(key: string): string {
    assertSafeKey(key);
    return `${this.settings.prefix}${key}`;
  }

  /** The request fields of server-side encryption; SSE-C needs them on every read as well. */
  private encryptionParams(): Pick<
    PutObjectCommandInput,
    'ServerSideEncryption' | 'SSECustomerAlgorithm' | 'SSECustomerKey'
  > {
    const sse = this.settings.serverSideEncryption;
    if (sse.mode === 'sse-s3') return { ServerSideEncryption: 'AES256' };
    if (sse.mode === 'sse-c')
      return { SSECustomerAlgorithm: 'AES256', SSECustomerKey: sse.key.toString('base64') };
    return {};
  }

  async put(key: string, body: Readable, options: PutOptions): Promise<StoredObject> {
    const objectKey = this.objectKeyOf(key);
    // Hashed and counted before encryption: the reference matches Ondato's bytes.
    const counter = new HashingCounter(options.onProgress);
    const ciphertext = new PassThrough();
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.settings.bucket,
        Key: objectKey,
        Body: ciphertext,
        ContentType: 'application/octet-stream',
        Metadata: { 'plain-content-type': options.contentType },
        ...this.encryptionParams(),
      },
      partSize: this.settings.partSizeBytes,
      queueSize: this.settings.queueSize,
      // Aborts the multipart upload on failure, so no parts stay billed and nothing becomes visible.
      leavePartsOnError: false,
    });
    // Either side failing stops the other: a failed source aborts the upload (through `ciphertext`), and a
    // refused upload stops reading, which would otherwise stall the pipeline on backpressure.
    const stopWith = (error: unknown): never => {
      ciphertext.destroy(error instanceof Error ? error : new Error(String(error)));
      throw error;
    };
    const [piped, uploaded] = await Promise.allSettled([
      pipeline(body, counter, new EncryptingStream(this.keys), ciphertext, { signal: options.signal }).catch(
        stopWith,
      ),
      upload.done().catch(stopWith),
    ]);
    if (uploaded.status === 'rejected' && uploaded.reason instanceof S3ServiceException) {
      throw this.explain(uploaded.reason, `upload of document ${key}`);
    }
    if (piped.status === 'rejected') throw piped.reason;
    if (uploaded.status === 'rejected') throw uploaded.reason;
    return { key, sha256: counter.digest(), bytes: counter.bytes, contentType: options.contentType };
  }

  /**
   * The decrypted document. A missing object or a refused request rejects here; an object that fails
   * authentication errors the stream at its end (use the bytes only once it ended cleanly).
   */
  async get(key: string): Promise<Readable> {
    const params: GetObjectCommandInput = {
      Bucket: this.settings.bucket,
      Key: this.objectKeyOf(key),
      ...this.encryptionParams(),
    };
    let object;
    try {
      object = await this.client.send(new GetObjectCommand(params));
    } catch (error) {
      if (error instanceof NoSuchKey) throw new DocumentNotFoundError(key);
      throw this.explain(error, `read of document ${key}`);
    }
    if (!object.Body) throw new DocumentNotFoundError(key);
    const decrypted = new DecryptingStream(this.keys, `document ${key}`);
    pipelineWithCallback(object.Body as Readable, decrypted, () => undefined);
    return decrypted;
  }

  async delete(key: string): Promise<boolean> {
    const objectKey = this.objectKeyOf(key);
    const { bucket } = this.settings;
    try {
      // S3 answers a delete of a missing key with success: ask first, so the answer can say whether it existed.
      const existed = await this.client
        .send(new HeadObjectCommand({ Bucket: bucket, Key: objectKey, ...this.encryptionParams() }))
        .then(
          () => true,
          (error: unknown) => {
            if (error instanceof NotFound || error instanceof NoSuchKey) return false;
            throw error;
          },
        );
      await this.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: objectKey }));
      return existed;
    } catch (error) {
      throw this.explain(error, `delete of document ${key}`);
    }
  }

  async list(prefix: string): Promise<string[]> {
    assertSafePrefix(prefix);
    try {
      return (await this.objectKeysUnder(prefix)).map((objectKey) => this.keyOf(objectKey)).sort();
    } catch (error) {
      throw this.explain(error, `listing of ${prefix}`);
    }
  }

  /** Deletes the objects page by page (up to 1,000 a request) and aborts unfinished uploads under the prefix. */
  async deletePrefix(prefix: string): Promise<number> {
    assertSafePrefix(prefix);
    const { bucket } = this.settings;
    try {
      const objectKeys = await this.objectKeysUnder(prefix);
      for (let start = 0; start < objectKeys.length; start += 1000) {
        const batch = objectKeys.slice(start, start + 1000);
        const answer = await this.client.send(
          new DeleteObjectsCommand({
            Bucket: bucket,
            Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
          }),
        );
        const failed = answer.Errors ?? [];
        if (failed.length > 0) {
          throw new Error(
            `the S3 store kept ${failed.length} object(s) under ${prefix}: ${failed[0].Code ?? 'unknown'}`,
          );
        }
      }
      await this.abortUploadsUnder(prefix);
      return objectKeys.length;
    } catch (error) {
      throw this.explain(error, `deletion under ${prefix}`);
    }
  }

  private keyOf(objectKey: string): string {
    return objectKey.slice(this.settings.prefix.length);
  }

  private async objectKeysUnder(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let continuationToken: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.settings.bucket,
          Prefix: `${this.settings.prefix}${prefix}`,
          ContinuationToken: continuationToken,
        }),
      );
      for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuationToken);
    return keys;
  }

  /** A copy cut short by a dead worker can leave a multipart upload whose parts hold document bytes. */
  private async abortUploadsUnder(prefix: string): Promise<void> {
    const { bucket } = this.settings;
    const uploads = await this.client.send(
      new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: `${this.settings.prefix}${prefix}` }),
    );
    for (const upload of uploads.Uploads ?? []) {
      if (!upload.Key || !upload.UploadId) continue;
      await this.client.send(
        new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.Key, UploadId: upload.UploadId }),
      );
    }
  }

  private explain(error: unknown, what: string): unknown {
    if (error instanceof S3ServiceException && ACCESS_ERRORS.has(error.name)) {
      const { bucket, endpoint } = this.settings;
      return new DocumentStoreAccessError(
        `the S3 store refused the ${what} (${error.name}: ${error.message}); check DOCUMENT_S3_* ` +
          `credentials and bucket "${bucket}"${endpoint ? ` at ${endpoint}` : ''}`,
        { cause: error },
      );
    }
    return error;
  }
}
