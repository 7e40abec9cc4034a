/**
 * Documents in a local directory, encrypted at rest (AES-256-GCM, format in codec/document-cipher.ts) with the
 * key ring of the payload codec. Writes go to a temporary file in the same directory and are renamed into
 * place, so a reader never sees a partial file and a crash mid-download leaves no document behind.
 *
 * The returned reference describes the ORIGINAL document: its sha256 and size are those of the bytes Ondato
 * served, not of the ciphertext on disk. `get()` streams the decrypted bytes and errors if the file was altered.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline as pipelineWithCallback, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DecryptingStream, EncryptingStream } from '../codec/document-cipher';
import type { KeyRing } from '../codec/keys';
import {
  assertSafeKey,
  assertSafePrefix,
  type DocumentStore,
  type PutOptions,
  type StoredObject,
} from './document-store';
import { HashingCounter } from './hashing-counter';

const PARTIAL_SUFFIX = '.partial';

export class LocalDocumentStore implements DocumentStore {
  constructor(
    private readonly rootDir: string,
    private readonly keys: KeyRing,
  ) {}

  private pathOf(key: string): string {
    assertSafeKey(key);
    return path.join(this.rootDir, key);
  }

  async put(key: string, body: Readable, options: PutOptions): Promise<StoredObject> {
    const target = this.pathOf(key);
    await mkdir(path.dirname(target), { recursive: true });
    await this.removeAbandonedPartials(target);
    const partial = `${target}.${randomUUID()}${PARTIAL_SUFFIX}`;
    // Hashed and counted before encryption: the reference matches Ondato's bytes.
    const counter = new HashingCounter(options.onProgress);
    try {
      // flush: the bytes are on disk before the rename publishes the file.
      await pipeline(
        body,
        counter,
        new EncryptingStream(this.keys),
        createWriteStream(partial, { flags: 'wx', flush: true }),
        {
          signal: options.signal,
        },
      );
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
      (name) => name.startsWith(prefix) && name.endsWith(PARTIAL_SUFFIX),
    );
    await Promise.all(leftovers.map((name) => rm(path.join(path.dirname(target), name), { force: true })));
  }

  /**
   * The decrypted document. A missing file, an unknown key, or a file that fails authentication errors the
   * stream (the authentication check happens at its end: use the bytes only once it ended cleanly).
   */
  async get(key: string): Promise<Readable> {
    const decrypted = new DecryptingStream(this.keys, `document ${key}`);
    // Errors of the file stream (e.g. ENOENT) reach the consumer through `decrypted`.
    pipelineWithCallback(createReadStream(this.pathOf(key)), decrypted, () => undefined);
    return decrypted;
  }

  async delete(key: string): Promise<boolean> {
    const target = this.pathOf(key);
    const existed = await stat(target).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return false;
        throw error;
      },
    );
    await rm(target, { force: true });
    return existed;
  }

  async list(prefix: string): Promise<string[]> {
    const files = await this.filesUnder(prefix);
    return files.filter((key) => !key.endsWith(PARTIAL_SUFFIX)).sort();
  }

  /** Removes the prefix's folder whole: documents, partial files of interrupted copies, empty folders. */
  async deletePrefix(prefix: string): Promise<number> {
    const files = await this.filesUnder(prefix);
    await rm(path.join(this.rootDir, prefix), { recursive: true, force: true });
    return files.filter((key) => !key.endsWith(PARTIAL_SUFFIX)).length;
  }

  /** Every file under the prefix's folder, as keys; none when the folder does not exist. */
  private async filesUnder(prefix: string): Promise<string[]> {
    assertSafePrefix(prefix);
    let entries;
    try {
      entries = await readdir(path.join(this.rootDir, prefix), { recursive: true, withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return entries
      .filter((entry) => entry.isFile())
      .map((entry) =>
        path.relative(this.rootDir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'),
      );
  }
}
