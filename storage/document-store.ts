/** Where document files end up. Bytes stream through; only a reference comes back. */
import type { Readable } from 'node:stream';

export interface PutOptions {
  contentType: string;
  signal?: AbortSignal;
  /** Called as bytes arrive, so long copies can heartbeat. */
  onProgress?: (bytesSoFar: number) => void;
}

export interface StoredObject {
  key: string;
  sha256: string;
  bytes: number;
  contentType: string;
}

export interface DocumentStore {
  put(key: string, body: Readable, options: PutOptions): Promise<StoredObject>;
  /** The stored bytes as they were put (decrypted, for stores that encrypt at rest). */
  get(key: string): Promise<Readable>;
  /** Removes one document; false when there was none (deleting twice is not an error). */
  delete(key: string): Promise<boolean>;
  /** Every stored key under `prefix` (e.g. `<customerId>/`), unfinished uploads excluded, sorted. */
  list(prefix: string): Promise<string[]>;
  /**
   * Removes every document under `prefix` (an erasure: `<customerId>/`), unfinished uploads included, and
   * answers how many documents went. Running it again removes nothing more and answers 0.
   */
  deletePrefix(prefix: string): Promise<number>;
}

/** Keys are built from ids only; reject anything that could escape the store's root. */
export function assertSafeKey(key: string): void {
  if (
    !/^[A-Za-z0-9][A-Za-z0-9._\-/]*$/.test(key) ||
    key.split('/').some((part) => part === '..' || part === '')
  ) {
    throw new Error(`unsafe document key: ${JSON.stringify(key)}`);
  }
}

/** A prefix names a folder of keys: the same characters as a key, and it ends with `/`. */
export function assertSafePrefix(prefix: string): void {
  if (!prefix.endsWith('/')) throw new Error(`a document prefix ends with /: ${JSON.stringify(prefix)}`);
  assertSafeKey(prefix.slice(0, -1));
}
