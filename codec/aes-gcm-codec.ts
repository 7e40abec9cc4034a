/**
 * The payload codec: every payload the project's clients and workers hand to Temporal (workflow input with the
 * registration, activity results with the KYC summary, decisions, memo, query/update results, heartbeats,
 * failure details) is stored as AES-256-GCM ciphertext of the whole original payload (metadata and data).
 *
 * Wire format of an encrypted payload:
 *   metadata  encoding = "binary/encrypted", encryption-key-id = <key id>, encryption-cipher = "AES-256-GCM"
 *   data      iv (12 bytes) || ciphertext of the protobuf-encoded original payload || auth tag (16 bytes)
 * The key id and cipher are bound to the ciphertext as additional authenticated data.
 *
 * Decoding passes payloads without the encrypted encoding through unchanged (histories recorded before the
 * codec still replay), and fails loudly, never returning garbage, when an encrypted payload names a key the
 * ring lacks or does not authenticate.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { KeyRing } from './keys';

export const METADATA_ENCODING_KEY = 'encoding';
export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA_KEY = 'encryption-key-id';
export const CIPHER_METADATA_KEY = 'encryption-cipher';
export const CIPHER = 'AES-256-GCM';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const ProtoPayload = temporal.api.common.v1.Payload;

export class PayloadDecryptionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PayloadDecryptionError';
  }
}

const utf8 = (text: string): Uint8Array => Buffer.from(text, 'utf8');

function metadataText(payload: Payload, key: string): string | undefined {
  const value = payload.metadata?.[key];
  return value ? Buffer.from(value).toString('utf8') : undefined;
}

function additionalData(keyId: string): Buffer {
  return Buffer.from(`${CIPHER}:${keyId}`, 'utf8');
}

export function isEncryptedPayload(payload: Payload): boolean {
  return metadataText(payload, METADATA_ENCODING_KEY) === ENCRYPTED_ENCODING;
}

/** The key id an encrypted payload names; undefined for a plain payload. */
export function payloadKeyId(payload: Payload): string | undefined {
  return isEncryptedPayload(payload) ? metadataText(payload, KEY_ID_METADATA_KEY) : undefined;
}

export class AesGcmPayloadCodec implements PayloadCodec {
  constructor(readonly keys: KeyRing) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.encrypt(payload));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => (isEncryptedPayload(payload) ? this.decrypt(payload) : payload));
  }

  encrypt(payload: Payload): Payload {
    const { id, key } = this.keys.active();
    const plaintext = ProtoPayload.encode({
      metadata: payload.metadata ?? {},
      data: payload.data ?? new Uint8Array(),
    }).finish();
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(additionalData(id));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return {
      metadata: {
        [METADATA_ENCODING_KEY]: utf8(ENCRYPTED_ENCODING),
        [KEY_ID_METADATA_KEY]: utf8(id),
        [CIPHER_METADATA_KEY]: utf8(CIPHER),
      },
      data: Buffer.concat([iv, ciphertext, cipher.getAuthTag()]),
    };
  }

  decrypt(payload: Payload): Payload {
    const keyId = metadataText(payload, KEY_ID_METADATA_KEY);
    if (!keyId)
      throw new PayloadDecryptionError(`an encrypted payload has no ${KEY_ID_METADATA_KEY} metadata`);
    const cipherName = metadataText(payload, CIPHER_METADATA_KEY) ?? CIPHER;
    if (cipherName !== CIPHER) {
      throw new PayloadDecryptionError(
        `payload encrypted with key "${keyId}" uses the unsupported cipher ${cipherName}`,
      );
    }
    const key = this.keys.require(keyId, 'a payload');
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < IV_BYTES + TAG_BYTES) {
      throw new PayloadDecryptionError(
        `payload encrypted with key "${keyId}" is truncated (${data.length} bytes)`,
      );
    }
    let plaintext: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(additionalData(keyId));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      plaintext = Buffer.concat([
        decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
        decipher.final(),
      ]);
    } catch (error) {
      throw new PayloadDecryptionError(
        `payload encrypted with key "${keyId}" failed authentication: wrong key material for that id, or the payload was altered`,
        { cause: error },
      );
    }
    const decoded = ProtoPayload.decode(plaintext);
    return { metadata: { ...decoded.metadata }, data: decoded.data };
  }
}
