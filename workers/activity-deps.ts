/** Wires the activities' dependencies from configuration. */
import type { ActivityDeps } from '../activities';
import { LocalDocumentStore } from '../activities/storage/local-store';
import type { AppConfig } from '../config/env';
import { createOndatoClient } from '../ondato/client';

export function activityDepsFromConfig(config: AppConfig): ActivityDeps {
  const { env } = config;
  // DOCUMENT_STORE accepts only `local` for now. An S3-compatible store, when written, must encrypt like the
  // local one (EncryptingStream/DecryptingStream from codec/document-cipher.ts, keys by id) on top of any
  // bucket-side encryption, and keep object keys made of ids only.
  return {
    ondato: createOndatoClient(config),
    documents: new LocalDocumentStore(env.DOCUMENT_DIR, config.codec.keyRing),
    defaultSetupId: env.ONDATO_SETUP_ID,
    callbacks: { defaultUrl: env.CALLBACK_URL, secret: env.CALLBACK_SECRET },
  };
}
