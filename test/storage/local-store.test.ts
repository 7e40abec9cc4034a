/** The document store contract, run against the local directory store (the S3 run: s3-store.s3-test.ts). */
import { mkdtempSync, rmSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDocumentStore } from '../../storage/store-factory';
import { testKeyRing } from '../helpers/codec-keys';
import { TEST_KEY_A } from '../helpers/codec-keys';
import { describeDocumentStoreContract } from './document-store-contract';

const root = mkdtempSync(path.join(tmpdir(), 'store-contract-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describeDocumentStoreContract(
  'local directory',
  async () => ({
    store: createDocumentStore({ store: 'local', dir: root }, testKeyRing([TEST_KEY_A])),
    readRaw: (key) => readFile(path.join(root, key)),
    writeRaw: (key, bytes) => writeFile(path.join(root, key), bytes),
    listEverything: async () =>
      (await readdir(root, { recursive: true, withFileTypes: true }))
        .filter((entry) => entry.isFile())
        .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)))
        .sort(),
  }),
  // The local store writes one file whatever the size; part-sized documents still exercise long streams.
  { partBytes: 5 * 1024 * 1024 },
);
