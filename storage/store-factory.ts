/** The configured document store: one place that turns DOCUMENT_STORE and its settings into a store. */
import type { KeyRing } from '../codec/keys';
import type { DocumentSettings } from '../config';
import type { DocumentStore } from './document-store';
import { LocalDocumentStore } from './local-store';
import { createS3Client, S3DocumentStore } from './s3-store';

export function createDocumentStore(settings: DocumentSettings, keys: KeyRing): DocumentStore {
  if (settings.store === 's3') {
    // loadConfig() refuses DOCUMENT_STORE=s3 without a bucket; a hand-built config may still lack one.
    if (!settings.s3) throw new Error('DOCUMENT_STORE=s3 needs the DOCUMENT_S3_* settings (bucket at least)');
    return new S3DocumentStore(createS3Client(settings.s3), settings.s3, keys);
  }
  return new LocalDocumentStore(settings.dir, keys);
}
