/**
 * The local store publishes a document only once its bytes are on disk: the partial file is fsynced, then
 * renamed into place. A crash after the rename must not leave an empty or short file under the document's key.
 */
import { randomBytes } from 'node:crypto';
import fs, { mkdtempSync, rmSync } from 'node:fs';
import fsPromises from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { LocalDocumentStore } from '../../storage/local-store';
import { testKeyRing, TEST_KEY_A } from '../helpers/codec-keys';
import { chunked } from './document-store-contract';

const root = mkdtempSync(path.join(tmpdir(), 'store-durability-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => jest.restoreAllMocks());

/** Records fsyncs (callback or promise API, whichever the store uses) and renames, in order. */
function watchSyncsAndRenames(): string[] {
  const events: string[] = [];
  const realFsync = fs.fsync;
  jest.spyOn(fs, 'fsync').mockImplementation(((fd: number, callback: (error: Error | null) => void) => {
    events.push('fsync');
    realFsync(fd, callback);
  }) as typeof fs.fsync);
  const realRename = fsPromises.rename;
  jest.spyOn(fsPromises, 'rename').mockImplementation(async (from, to) => {
    events.push(`rename ${path.basename(String(from)).endsWith('.partial') ? 'partial' : 'other'}`);
    return realRename(from, to);
  });
  return events;
}

describe('local document store durability', () => {
  it('fsyncs the partial file before the rename that publishes it', async () => {
    const store = new LocalDocumentStore(root, testKeyRing([TEST_KEY_A]));
    const events = watchSyncsAndRenames();
    await store.put('customer/kyc/front.jpg', chunked(randomBytes(3 * 1024 * 1024 + 11), 64 * 1024), {
      contentType: 'image/jpeg',
    });
    expect(events).toEqual(['fsync', 'rename partial']);
  });

  it('publishes nothing when the source broke', async () => {
    const store = new LocalDocumentStore(root, testKeyRing([TEST_KEY_A]));
    const events = watchSyncsAndRenames();
    const broken = Readable.from(
      (async function* () {
        yield randomBytes(512 * 1024);
        await new Promise((resolve) => setImmediate(resolve));
        throw new Error('connection reset by peer (simulated)');
      })(),
    );
    await expect(store.put('customer/kyc/back.jpg', broken, { contentType: 'image/jpeg' })).rejects.toThrow(
      /connection reset/,
    );
    expect(events.filter((event) => event.startsWith('rename'))).toEqual([]);
    expect(await store.list('customer/')).not.toContain('customer/kyc/back.jpg');
  });
});
