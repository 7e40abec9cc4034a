/** Wires the activities' dependencies from configuration. */
import type { ActivityDeps } from '../activities';
import { LocalDocumentStore } from '../activities/storage/local-store';
import type { AppConfig } from '../config/env';
import { createOndatoClient } from '../ondato/client';

export function activityDepsFromConfig(config: AppConfig): ActivityDeps {
  const { env } = config;
  // An S3-compatible store is not written yet. When it is, it must encrypt like the local one (the same
  // EncryptingStream/DecryptingStream from codec/document-cipher.ts, keys by id) on top of any bucket-side
  // encryption, and keep keys made of ids only.
  if (env.DOCUMENT_STORE !== 'local') {
    throw new Error(`DOCUMENT_STORE=${env.DOCUMENT_STORE} is not supported yet; use "local"`);
  }
  return {
    ondato: createOndatoClient(config),
    documents: new LocalDocumentStore(env.DOCUMENT_DIR, config.codec.keyRing),
    defaultSetupId: env.ONDATO_SETUP_ID,
    callbacks: { defaultUrl: env.CALLBACK_URL, secret: env.CALLBACK_SECRET },
  };
}
