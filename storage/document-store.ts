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
