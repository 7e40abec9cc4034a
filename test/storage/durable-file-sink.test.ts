/**
 * The local store's file sink: the bytes come out exactly as written whatever the chunking (chunks smaller than
 * its buffers, larger than several of them), the file is fsynced before the stream finishes and before the
 * store's rename publishes it, and a failure leaves the caller an error rather than a half-written "success".
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import fsPromises, { open, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DurableFileSink } from '../../storage/durable-file-sink';
import { LocalDocumentStore } from '../../storage/local-store';
import { testKeyRing, TEST_KEY_A } from '../helpers/codec-keys';
import { chunked } from './document-store-contract';

const root = mkdtempSync(path.join(tmpdir(), 'durable-sink-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => jest.restoreAllMocks());

let seq = 0;
const freshPath = (): string => path.join(root, `file-${++seq}`);

/** The prototype of the handles `fs.promises.open` returns, to watch their fsyncs. */
async function fileHandlePrototype(): Promise<{ sync: () => Promise<void> }> {
  const probe = path.join(root, 'probe');
  const handle = await open(probe, 'w');
  await handle.close();
  return Object.getPrototypeOf(handle) as { sync: () => Promise<void> };
}

describe('DurableFileSink', () => {
  it.each([
    ['tiny chunks', 3 * 1024 * 1024 + 5, 1000],
    ['network-sized chunks', 5 * 1024 * 1024 + 17, 64 * 1024],
    ['chunks larger than all its buffers together', 9 * 1024 * 1024 + 3, 4 * 1024 * 1024 + 1],
    ['exactly one buffer', 1024 * 1024, 1024 * 1024],
  ])('writes the bytes exactly as given (%s)', async (_name, bytes, chunkBytes) => {
    const original = randomBytes(bytes);
    const target = freshPath();
    await pipeline(chunked(original, chunkBytes), new DurableFileSink(target));
    expect((await readFile(target)).equals(original)).toBe(true);
  });

  it('writes an empty file', async () => {
    const target = freshPath();
    await pipeline(Readable.from([]), new DurableFileSink(target));
    expect((await readFile(target)).length).toBe(0);
  });

  it('fsyncs once, after the last write and before it finishes', async () => {
    const events: string[] = [];
    const prototype = await fileHandlePrototype();
    const realSync = prototype.sync;
    jest.spyOn(prototype, 'sync').mockImplementation(async function (this: unknown) {
      events.push('sync');
      return realSync.call(this);
    });
    const sink = new DurableFileSink(freshPath());
    sink.on('finish', () => events.push('finish'));
    await pipeline(chunked(randomBytes(3 * 1024 * 1024), 64 * 1024), sink);
    expect(events).toEqual(['sync', 'finish']);
  });

  it('refuses to overwrite an existing file (each copy writes its own partial file)', async () => {
    const target = freshPath();
    await writeFile(target, 'someone else');
    await expect(pipeline(chunked(randomBytes(10), 10), new DurableFileSink(target))).rejects.toThrow(
      /EEXIST/,
    );
    expect(await readFile(target, 'utf8')).toBe('someone else');
  });

  it('fails the stream when the disk refuses a write', async () => {
    const prototype = (await fileHandlePrototype()) as unknown as {
      write: (...args: unknown[]) => Promise<unknown>;
    };
    jest.spyOn(prototype, 'write').mockRejectedValue(new Error('ENOSPC: no space left on device'));
    await expect(
      pipeline(chunked(randomBytes(4 * 1024 * 1024), 64 * 1024), new DurableFileSink(freshPath())),
    ).rejects.toThrow(/ENOSPC/);
  });
});

describe('LocalDocumentStore durability', () => {
  it('fsyncs the partial file before the rename that publishes it', async () => {
    const events: string[] = [];
    const prototype = await fileHandlePrototype();
    const realSync = prototype.sync;
    jest.spyOn(prototype, 'sync').mockImplementation(async function (this: unknown) {
      events.push('sync');
      return realSync.call(this);
    });
    const realRename = fsPromises.rename;
    jest.spyOn(fsPromises, 'rename').mockImplementation(async (from, to) => {
      events.push('rename');
      return realRename(from, to);
    });
    const store = new LocalDocumentStore(path.join(root, 'store'), testKeyRing([TEST_KEY_A]));
    await store.put('customer/kyc/front.jpg', chunked(randomBytes(2 * 1024 * 1024), 64 * 1024), {
      contentType: 'image/jpeg',
    });
    expect(events).toEqual(['sync', 'rename']);
  });
});
