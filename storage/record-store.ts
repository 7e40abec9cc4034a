/**
 * Small records that several API replicas share: created exclusively (the first writer wins, the others learn
 * that a record exists), read, replaced, removed, and swept once old. Used for idempotency keys (api/idempotency).
 *
 * Records are sealed with the codec key ring in the document envelope (codec/document-cipher.ts) before they
 * leave the process, so a record at rest is as unreadable as a stored document, and one altered on disk fails
 * to open instead of being believed.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DecryptingStream, EncryptingStream } from '../codec/document-cipher';
import type { KeyRing } from '../codec/keys';

export interface RecordStore {
  /** Writes the record unless one exists under `name`; false when one did (nothing written). */
  create(name: string, plain: Buffer): Promise<boolean>;
  /** The record, or undefined when there is none. */
  read(name: string): Promise<Buffer | undefined>;
  /** Overwrites (or writes) the record. */
  replace(name: string, plain: Buffer): Promise<void>;
  /** Removes the record; no error when it is already gone. */
  remove(name: string): Promise<void>;
  /** Removes the records last written before `cutoff`; answers how many went. */
  removeWrittenBefore(cutoff: Date): Promise<number>;
}

/** Record names are hex digests chosen by the caller: nothing a request can steer into a path. */
export function assertRecordName(name: string): void {
  if (!/^[a-f0-9]{16,128}$/.test(name)) throw new Error(`unsafe record name: ${JSON.stringify(name)}`);
}

async function collect(source: Readable, transform: EncryptingStream | DecryptingStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await pipeline(source, transform, async (stream: AsyncIterable<Buffer>) => {
    for await (const chunk of stream) chunks.push(chunk);
  });
  return Buffer.concat(chunks);
}

export function sealRecord(keys: KeyRing, plain: Buffer): Promise<Buffer> {
  return collect(Readable.from([plain]), new EncryptingStream(keys));
}

/** Throws `DocumentDecryptionError` when the bytes were altered or name an unknown key. */
export function openRecord(keys: KeyRing, sealed: Buffer, name: string): Promise<Buffer> {
  return collect(Readable.from([sealed]), new DecryptingStream(keys, `record ${name}`));
}
