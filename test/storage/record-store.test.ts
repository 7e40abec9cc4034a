/** The record store contract on the local directory store (the S3 run: record-store.s3-test.ts). */
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRecordStore } from '../../storage/record-store-factory';
import { TEST_KEY_A, testKeyRing } from '../helpers/codec-keys';
import { describeRecordStoreContract } from './record-store-contract';

const root = mkdtempSync(path.join(tmpdir(), 'record-store-contract-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describeRecordStoreContract('local directory', async () => ({
  store: createRecordStore({ store: 'local', dir: root }, testKeyRing([TEST_KEY_A]), '_records'),
  readRaw: (name) => readFile(path.join(root, '_records', name)).catch(() => undefined),
}));
