/**
 * A stored document, decrypted in memory and checked against the run's record before a byte is sent: the
 * store authenticates its ciphertext only at the end of the stream, and the record's size and SHA-256 say the
 * file is the one the run stored. Nothing is written anywhere in clear.
 */
import { createHash } from 'node:crypto';
import type { StoredDocument } from '../../contract';
import type { DocumentStore } from '../../storage/document-store';

/** Types a browser may show inline; anything else is offered as a download. */
const INLINE_TYPES = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'application/pdf']);

/** Larger documents are not shown in the console (the Ondato simulator's default is 1.5 MB). */
export const DOCUMENT_LIMIT_BYTES = 50 * 1024 * 1024;

export class DocumentUnavailable extends Error {
  constructor(readonly why: 'too_large' | 'unreadable' | 'altered') {
    super(`document ${why}`);
    this.name = 'DocumentUnavailable';
  }
}

export async function readDocument(store: DocumentStore, document: StoredDocument): Promise<Buffer> {
  if (document.bytes > DOCUMENT_LIMIT_BYTES) throw new DocumentUnavailable('too_large');
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    const stream = await store.get(document.key);
    for await (const chunk of stream) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      size += buffer.length;
      if (size > document.bytes) {
        stream.destroy();
        throw new DocumentUnavailable('altered');
      }
      chunks.push(buffer);
    }
  } catch (error) {
    if (error instanceof DocumentUnavailable) throw error;
    throw new DocumentUnavailable('unreadable');
  }
  const bytes = Buffer.concat(chunks);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (bytes.length !== document.bytes || sha256 !== document.sha256) throw new DocumentUnavailable('altered');
  return bytes;
}

/** The stored content type when a browser may show it inline; otherwise a download of opaque bytes. */
export function servedType(document: StoredDocument): { contentType: string; inline: boolean } {
  const type = document.contentType.split(';')[0].trim().toLowerCase();
  return INLINE_TYPES.has(type)
    ? { contentType: type, inline: true }
    : { contentType: 'application/octet-stream', inline: false };
}
