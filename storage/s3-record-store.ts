/**
 * Records in an S3-compatible bucket (see record-store.ts), under their own key prefix, so every API replica
 * reads the same ones. The exclusive create is a conditional PUT (`If-None-Match: *`): the bucket refuses it
 * with 412 when the key exists, so of two replicas claiming one record exactly one wins — provided the server
 * honours the condition (AWS S3 does since 2024; test/storage/record-store.s3-test.ts checks SeaweedFS).
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3ServiceException,
  type PutObjectCommandInput,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { KeyRing } from '../codec/keys';
import type { S3DocumentSettings } from '../config';
import { assertRecordName, openRecord, sealRecord, type RecordStore } from './record-store';

/** The bucket's answer to a conditional write that lost (412), or raced another one (409 on AWS). */
function lostTheRace(error: unknown): boolean {
  return (
    error instanceof S3ServiceException &&
    (error.$metadata.httpStatusCode === 412 || error.name === 'ConditionalRequestConflict')
  );
}

export class S3RecordStore implements RecordStore {
  constructor(
    private readonly client: S3Client,
    private readonly settings: S3DocumentSettings,
    /** Ends with `/`; appended to the store's DOCUMENT_S3_PREFIX. */
    private readonly folder: string,
    private readonly keys: KeyRing,
  ) {}

  private get prefix(): string {
    return `${this.settings.prefix}${this.folder}`;
  }

  private objectKeyOf(name: string): string {
    assertRecordName(name);
    return `${this.prefix}${name}`;
  }

  /** Bucket-side encryption as configured for documents; SSE-C needs its key on reads too. */
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

  private async put(name: string, plain: Buffer, condition: { IfNoneMatch?: string }): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.settings.bucket,
        Key: this.objectKeyOf(name),
        Body: await sealRecord(this.keys, plain),
        ContentType: 'application/octet-stream',
        ...this.encryptionParams(),
        ...condition,
      }),
    );
  }

  async create(name: string, plain: Buffer): Promise<boolean> {
    try {
      await this.put(name, plain, { IfNoneMatch: '*' });
      return true;
    } catch (error) {
      if (lostTheRace(error)) return false;
      throw error;
    }
  }

  async read(name: string): Promise<Buffer | undefined> {
    let sealed: Uint8Array | undefined;
    try {
      const object = await this.client.send(
        new GetObjectCommand({
          Bucket: this.settings.bucket,
          Key: this.objectKeyOf(name),
          ...this.encryptionParams(),
        }),
      );
      sealed = await object.Body?.transformToByteArray();
    } catch (error) {
      if (error instanceof NoSuchKey) return undefined;
      throw error;
    }
    return sealed ? openRecord(this.keys, Buffer.from(sealed), name) : undefined;
  }

  async replace(name: string, plain: Buffer): Promise<void> {
    await this.put(name, plain, {});
  }

  async remove(name: string): Promise<void> {
    await this.client.send(
      new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: this.objectKeyOf(name) }),
    );
  }

  async removeWrittenBefore(cutoff: Date): Promise<number> {
    let removed = 0;
    let continuationToken: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.settings.bucket,
          Prefix: this.prefix,
          ContinuationToken: continuationToken,
        }),
      );
      for (const object of page.Contents ?? []) {
        if (!object.Key || !object.LastModified || object.LastModified >= cutoff) continue;
        await this.client.send(new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: object.Key }));
        removed++;
      }
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuationToken);
    return removed;
  }
}
