/**
 * Streaming encryption of stored documents with the key ring of the payload codec.
 *
 * File format (version 1):
 *   "ODOC" (4 bytes) | version = 1 (1 byte) | key id length n (1 byte) | key id (n bytes, ASCII) | iv (12 bytes)
 *   | AES-256-GCM ciphertext of the document | auth tag (16 bytes)
 * The whole header is authenticated (additional data), so neither the key id nor the version can be swapped.
 *
 * Both directions stream with constant memory. GCM authenticates at the end: a decrypting stream hands out
 * plaintext before the tag is checked and then fails with `DocumentDecryptionError` if the file was altered or
 * truncated. Consumers must treat the document as valid only once the stream ended without an error (a
 * `pipeline()` that resolved); every reader in this project does.
 */
import { createCipheriv, createDecipheriv, randomBytes, type CipherGCM, type DecipherGCM } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import type { KeyRing } from './keys';

const MAGIC = Buffer.from('ODOC', 'ascii');
const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const FIXED_HEADER_BYTES = MAGIC.length + 2;

export class DocumentDecryptionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DocumentDecryptionError';
  }
}

function header(keyId: string, iv: Buffer): Buffer {
  const id = Buffer.from(keyId, 'ascii');
  return Buffer.concat([MAGIC, Buffer.from([VERSION, id.length]), id, iv]);
}

/** Plaintext in, header + ciphertext + tag out, with the ring's active key and a fresh IV. */
export class EncryptingStream extends Transform {
  private readonly cipher: CipherGCM;

  constructor(keys: KeyRing) {
    super();
    const { id, key } = keys.active();
    const iv = randomBytes(IV_BYTES);
    const head = header(id, iv);
    this.cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    this.cipher.setAAD(head);
    this.push(head);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    callback(null, this.cipher.update(chunk));
  }

  override _flush(callback: TransformCallback): void {
    const last = this.cipher.final();
    if (last.length > 0) this.push(last);
    callback(null, this.cipher.getAuthTag());
  }
}

/** Header + ciphertext + tag in, the original bytes out; errors on an unknown key, tampering or truncation. */
export class DecryptingStream extends Transform {
  private pending: Buffer = Buffer.alloc(0);
  private decipher?: DecipherGCM;
  private keyId?: string;
  /** The last TAG_BYTES seen: the tag, once the input ends. */
  private tail: Buffer = Buffer.alloc(0);

  constructor(
    private readonly keys: KeyRing,
    /** Names the document in errors (a store key: ids only). */
    private readonly what = 'document',
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      if (!this.decipher) {
        this.pending = Buffer.concat([this.pending, chunk]);
        const body = this.readHeader();
        if (!body) return callback();
        this.pending = Buffer.alloc(0);
        chunk = body;
      }
      callback(null, this.decryptHoldingBackTag(chunk));
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    if (!this.decipher || this.tail.length < TAG_BYTES) {
      callback(new DocumentDecryptionError(`${this.what} is truncated: no complete header and auth tag`));
      return;
    }
    try {
      this.decipher.setAuthTag(this.tail);
      const last = this.decipher.final();
      callback(null, last.length > 0 ? last : undefined);
    } catch (error) {
      callback(
        new DocumentDecryptionError(
          `${this.what} (key "${this.keyId}") failed authentication: the file was altered or truncated, or the key material is wrong`,
          { cause: error },
        ),
      );
    }
  }

  /** Parses the header once enough bytes arrived; returns the bytes after it, or undefined to wait for more. */
  private readHeader(): Buffer | undefined {
    const data = this.pending;
    if (data.length < FIXED_HEADER_BYTES) return undefined;
    if (!data.subarray(0, MAGIC.length).equals(MAGIC)) {
      throw new DocumentDecryptionError(`${this.what} is not an encrypted document (unknown format)`);
    }
    const version = data[MAGIC.length];
    if (version !== VERSION)
      throw new DocumentDecryptionError(`${this.what} has unsupported format version ${version}`);
    const idLength = data[MAGIC.length + 1];
    const headerBytes = FIXED_HEADER_BYTES + idLength + IV_BYTES;
    if (data.length < headerBytes) return undefined;
    const keyId = data.subarray(FIXED_HEADER_BYTES, FIXED_HEADER_BYTES + idLength).toString('ascii');
    const key = this.keys.require(keyId, this.what);
    const iv = data.subarray(FIXED_HEADER_BYTES + idLength, headerBytes);
    this.keyId = keyId;
    this.decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    this.decipher.setAAD(data.subarray(0, headerBytes));
    return data.subarray(headerBytes);
  }

  /** Decrypts everything but the last TAG_BYTES seen so far, which may be the tag. */
  private decryptHoldingBackTag(chunk: Buffer): Buffer {
    const decipher = this.decipher as DecipherGCM;
    if (chunk.length >= TAG_BYTES) {
      const out = Buffer.concat([
        decipher.update(this.tail),
        decipher.update(chunk.subarray(0, chunk.length - TAG_BYTES)),
      ]);
      this.tail = Buffer.from(chunk.subarray(chunk.length - TAG_BYTES));
      return out;
    }
    const joined = Buffer.concat([this.tail, chunk]);
    const release = joined.length - TAG_BYTES;
    this.tail = Buffer.from(joined.subarray(Math.max(0, release)));
    return release > 0 ? decipher.update(joined.subarray(0, release)) : Buffer.alloc(0);
  }
}
