/** The configured record store: beside the documents (DOCUMENT_STORE), in a folder of its own. */
import path from 'node:path';
import type { KeyRing } from '../codec/keys';
import type { DocumentSettings } from '../config';
import { LocalRecordStore } from './local-record-store';
import type { RecordStore } from './record-store';
import { S3RecordStore } from './s3-record-store';
import { createS3Client } from './s3-store';

/**
 * `folder` starts with `_`: a customer id cannot (document keys begin with one), so records never share a
 * folder with a customer's documents, nor fall under an erasure of that customer's prefix.
 */
export function createRecordStore(
  settings: DocumentSettings,
  keys: KeyRing,
  folder: `_${string}`,
): RecordStore {
  if (settings.store === 's3') {
    if (!settings.s3) throw new Error('DOCUMENT_STORE=s3 needs the DOCUMENT_S3_* settings (bucket at least)');
    return new S3RecordStore(createS3Client(settings.s3), settings.s3, `${folder}/`, keys);
  }
  return new LocalRecordStore(path.join(settings.dir, folder), keys);
}
