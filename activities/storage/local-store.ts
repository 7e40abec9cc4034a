/**
 * Documents in a local directory. Writes go to a temporary file in the same directory and are renamed into
 * place, so a reader never sees a partial file and a crash mid-download leaves no document behind.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assertSafeKey, type DocumentStore, type PutOptions, type StoredObject } from './document-store';
import { HashingCounter } from './hashing-counter';

export class LocalDocumentStore implements DocumentStore {
  constructor(private readonly rootDir: string) {}

  private pathOf(key: string): string {
    assertSafeKey(key);
    return path.join(this.rootDir, key);
  }

  async put(key: string, body: Readable, options: PutOptions): Promise<StoredObject> {
    const target = this.pathOf(key);
    await mkdir(path.dirname(target), { recursive: true });
    const partial = `${target}.${randomUUID()}.partial`;
    const counter = new HashingCounter(options.onProgress);
    try {
      // flush: the bytes are on disk before the rename publishes the file.
      await pipeline(body, counter, createWriteStream(partial, { flags: 'wx', flush: true }), { signal: options.signal });
      await rename(partial, target);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    return { key, sha256: counter.digest(), bytes: counter.bytes, contentType: options.contentType };
  }

  async get(key: string): Promise<Readable> {
    return createReadStream(this.pathOf(key));
  }
}
