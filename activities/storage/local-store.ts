/**
 * Documents in a local directory. Writes go to a temporary file in the same directory and are renamed into
 * place, so a reader never sees a partial file and a crash mid-download leaves no document behind.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
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
    await this.removeAbandonedPartials(target);
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

  /** A worker that died mid-copy leaves its partial file; the retry of the same document clears it. */
  private async removeAbandonedPartials(target: string): Promise<void> {
    const prefix = `${path.basename(target)}.`;
    const leftovers = (await readdir(path.dirname(target))).filter(
      (name) => name.startsWith(prefix) && name.endsWith('.partial'),
    );
    await Promise.all(leftovers.map((name) => rm(path.join(path.dirname(target), name), { force: true })));
  }

  async get(key: string): Promise<Readable> {
    return createReadStream(this.pathOf(key));
  }
}
