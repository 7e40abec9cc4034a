/**
 * The encryption key ring shared by the payload codec (Temporal history) and the document store (files at
 * rest). Every key has an id that travels with what it encrypted, so keys rotate without breaking old data:
 * new data is encrypted with the active key, old data is decrypted with whichever key it names.
 *
 * Configured as `CODEC_KEYS=<id>:<base64 of 32 bytes>,<id>:<...>` plus `CODEC_ACTIVE_KEY_ID` (see config/env.ts).
 * Key material never appears in an error message, a log line, `JSON.stringify` or `util.inspect` output.
 */
import { inspect } from 'node:util';
import { z } from 'zod';

/** AES-256: 32 bytes of key material. */
export const KEY_BYTES = 32;

/** Ids travel in payload metadata and document headers (one length byte): short, plain characters. */
export const KEY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export interface CodecKey {
  id: string;
  key: Buffer;
}

const KEY_ID_RULE = 'a key id is 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit';

export const keyIdSchema = z.string().regex(KEY_ID_PATTERN, KEY_ID_RULE);

/**
 * `id:base64,id:base64` → the keys, in order. Each problem names the entry and its id, never the material.
 * Use with `.prefault()` for a default: the default text must be parsed too.
 */
export const codecKeysSchema = z.string().transform((text, ctx): CodecKey[] => {
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  const keys: CodecKey[] = [];
  const seen = new Set<string>();
  const problem = (message: string): void => {
    ctx.issues.push({ code: 'custom', message, input: '(redacted)' });
  };
  if (entries.length === 0) problem('at least one key is required (<id>:<base64 of 32 bytes>)');
  entries.forEach((entry, index) => {
    const separator = entry.indexOf(':');
    const id = separator < 0 ? '' : entry.slice(0, separator).trim();
    const material = separator < 0 ? '' : entry.slice(separator + 1).trim();
    const where = `entry ${index + 1}${id && KEY_ID_PATTERN.test(id) ? ` ("${id}")` : ''}`;
    if (separator < 0) return problem(`${where}: expected <id>:<base64 key>`);
    if (!KEY_ID_PATTERN.test(id)) return problem(`${where}: ${KEY_ID_RULE}`);
    if (seen.has(id)) return problem(`${where}: the key id "${id}" appears twice`);
    seen.add(id);
    if (!BASE64_PATTERN.test(material)) return problem(`${where}: the key is not standard base64`);
    const key = Buffer.from(material, 'base64');
    if (key.length !== KEY_BYTES) {
      return problem(
        `${where}: the key must decode to exactly ${KEY_BYTES} bytes (AES-256), got ${key.length}`,
      );
    }
    keys.push({ id, key });
  });
  return keys;
});

export class UnknownEncryptionKeyError extends Error {
  constructor(
    readonly keyId: string,
    knownIds: readonly string[],
    what = 'data',
  ) {
    super(
      `${what} is encrypted with key "${keyId}", which is not in the key ring (known: ${knownIds.map((id) => `"${id}"`).join(', ') || 'none'}); add it to CODEC_KEYS`,
    );
    this.name = 'UnknownEncryptionKeyError';
  }
}

/** The configured keys and which one encrypts new data. Immutable; hides its material from logs. */
export class KeyRing {
  readonly #keys: ReadonlyMap<string, Buffer>;
  readonly activeKeyId: string;

  constructor(keys: Iterable<CodecKey>, activeKeyId: string) {
    const map = new Map<string, Buffer>();
    for (const { id, key } of keys) {
      if (!KEY_ID_PATTERN.test(id)) throw new Error(`invalid key id ${JSON.stringify(id)}`);
      if (key.length !== KEY_BYTES)
        throw new Error(`key "${id}" must be ${KEY_BYTES} bytes, got ${key.length}`);
      if (map.has(id)) throw new Error(`key id "${id}" appears twice`);
      map.set(id, Buffer.from(key));
    }
    if (!map.has(activeKeyId)) {
      throw new Error(
        `the active key "${activeKeyId}" is not in the key ring (${[...map.keys()].join(', ')})`,
      );
    }
    this.#keys = map;
    this.activeKeyId = activeKeyId;
  }

  /** One key: it is also the active one. */
  static single(id: string, key: Buffer): KeyRing {
    return new KeyRing([{ id, key }], id);
  }

  get keyIds(): string[] {
    return [...this.#keys.keys()];
  }

  has(id: string): boolean {
    return this.#keys.has(id);
  }

  /** The key that encrypts new data. */
  active(): CodecKey {
    return { id: this.activeKeyId, key: this.#keys.get(this.activeKeyId) as Buffer };
  }

  /** The key named by encrypted data; throws `UnknownEncryptionKeyError` (naming the id) when it is not here. */
  require(id: string, what?: string): Buffer {
    const key = this.#keys.get(id);
    if (!key) throw new UnknownEncryptionKeyError(id, this.keyIds, what);
    return key;
  }

  /** True when any key of the ring has this material (used to refuse the development key in production). */
  containsMaterial(material: Buffer): boolean {
    return [...this.#keys.values()].some((key) => key.equals(material));
  }

  toJSON(): { activeKeyId: string; keyIds: string[] } {
    return { activeKeyId: this.activeKeyId, keyIds: this.keyIds };
  }

  [inspect.custom](): string {
    return `KeyRing(active: ${this.activeKeyId}, keys: ${this.keyIds.join(', ')})`;
  }
}
