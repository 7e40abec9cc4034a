/**
 * What every document store promises, as one jest suite that each store's test file runs against its store:
 * the reference describes the original bytes, `get` gives them back (compared by sha256 after decryption),
 * what is stored is the service's ciphertext, a failed or cancelled upload leaves nothing visible, memory stays
 * bounded whatever the document's size, and altered or missing documents fail loudly.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { DocumentStore } from '../../storage/document-store';
import { DocumentDecryptionError } from '../../codec/document-cipher';
import { TEST_KEY_A } from '../helpers/codec-keys';

/** Access to what a store holds underneath, to check it from outside the store. */
export interface StoreUnderTest {
  store: DocumentStore;
  /** The stored bytes as they are at rest (ciphertext). */
  readRaw(key: string): Promise<Buffer>;
  writeRaw(key: string, bytes: Buffer): Promise<void>;
  /** Every stored object or file (keys as the store's caller names them), partial uploads included. */
  listEverything(): Promise<string[]>;
}

export interface ContractOptions {
  /** Documents larger than this go up in several parts (the S3 store's part size). */
  partBytes: number;
}

const MARKER = Buffer.from('PERSONAL-DOCUMENT-MARKER Ona Zuikytė 48802290000 ');

export function fakeDocument(bytes: number): Buffer {
  const document = randomBytes(bytes);
  for (let offset = 0; offset + MARKER.length <= bytes; offset += 64 * 1024) MARKER.copy(document, offset);
  return document;
}

export function chunked(buffer: Buffer, chunkBytes: number): Readable {
  return Readable.from(
    (function* () {
      for (let offset = 0; offset < buffer.length; offset += chunkBytes)
        yield buffer.subarray(offset, offset + chunkBytes);
    })(),
  );
}

export const sha256 = (buffer: Buffer): string => createHash('sha256').update(buffer).digest('hex');

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A download that delivers `failAfterBytes` and then breaks, as a cut connection does. */
function breakingSource(document: Buffer, failAfterBytes: number): Readable {
  return Readable.from(
    (async function* () {
      for (let offset = 0; offset < failAfterBytes; offset += 256 * 1024) {
        yield document.subarray(offset, Math.min(offset + 256 * 1024, failAfterBytes));
        await new Promise((resolve) => setImmediate(resolve));
      }
      throw new Error('connection reset by peer (simulated)');
    })(),
  );
}

/** Bytes generated as they are read: the test itself never holds the document. */
function generatedSource(totalBytes: number, hash: ReturnType<typeof createHash>): Readable {
  const chunkBytes = 256 * 1024;
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= totalBytes) return void this.push(null);
      const chunk = randomBytes(Math.min(chunkBytes, totalBytes - sent));
      hash.update(chunk);
      sent += chunk.length;
      this.push(chunk);
    },
  });
}

/**
 * Peak growth of heap + buffers over a baseline while `work` runs. Garbage counts too (a streaming upload of
 * 64 MiB peaked anywhere between 25 and 57 MiB from run to run; a full collection per sample costs ~0.5 s here),
 * so the document is made much larger than that noise: a store that buffered it would grow by its whole size.
 */
async function peakMemoryGrowth<T>(work: () => Promise<T>): Promise<{ result: T; peakBytes: number }> {
  const used = (): number => {
    const memory = process.memoryUsage();
    return memory.heapUsed + memory.arrayBuffers;
  };
  const baseline = used();
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, used())), 20);
  try {
    const result = await work();
    peak = Math.max(peak, used());
    return { result, peakBytes: peak - baseline };
  } finally {
    clearInterval(sampler);
  }
}

const LARGE_DOCUMENT_BYTES = 192 * 1024 * 1024;

export function describeDocumentStoreContract(
  name: string,
  setUp: () => Promise<StoreUnderTest>,
  options: ContractOptions,
): void {
  describe(`document store contract: ${name}`, () => {
    let subject: StoreUnderTest;
    let seq = 0;
    /** A fresh key per test: stores are shared between the tests of a file. */
    const freshKey = (file: string): string => `customer-${process.pid}/run-${++seq}/${file}`;

    beforeAll(async () => {
      subject = await setUp();
    });

    it('references the original bytes, stores ciphertext, and gives the same bytes back', async () => {
      const original = fakeDocument(options.partBytes * 2 + 77_777);
      const key = freshKey('front.jpg');
      let progress = 0;
      const stored = await subject.store.put(key, chunked(original, 64 * 1024), {
        contentType: 'image/jpeg',
        onProgress: (bytes) => (progress = bytes),
      });
      expect(stored).toEqual({
        key,
        sha256: sha256(original),
        bytes: original.length,
        contentType: 'image/jpeg',
      });
      expect(progress).toBe(original.length);

      const atRest = await subject.readRaw(key);
      expect(atRest.subarray(0, 4).toString('ascii')).toBe('ODOC');
      expect(atRest.includes(Buffer.from(TEST_KEY_A.id))).toBe(true);
      expect(atRest.includes(MARKER)).toBe(false);
      expect(atRest.length).toBe(original.length + 6 + TEST_KEY_A.id.length + 12 + 16);

      expect(sha256(await readAll(await subject.store.get(key)))).toBe(stored.sha256);
    });

    it('stores an empty document and a small one (below one part)', async () => {
      const empty = freshKey('empty.pdf');
      const stored = await subject.store.put(empty, Readable.from([]), { contentType: 'application/pdf' });
      expect(stored.bytes).toBe(0);
      expect((await readAll(await subject.store.get(empty))).length).toBe(0);

      const small = fakeDocument(1000);
      const smallKey = freshKey('small.png');
      await subject.store.put(smallKey, chunked(small, 100), { contentType: 'image/png' });
      expect((await readAll(await subject.store.get(smallKey))).equals(small)).toBe(true);
    });

    it('replaces a document stored again under the same key (a retried activity)', async () => {
      const key = freshKey('retried.jpg');
      await subject.store.put(key, chunked(fakeDocument(5000), 1000), { contentType: 'image/jpeg' });
      const second = fakeDocument(7000);
      await subject.store.put(key, chunked(second, 1000), { contentType: 'image/jpeg' });
      expect(sha256(await readAll(await subject.store.get(key)))).toBe(sha256(second));
    });

    it('leaves nothing visible when the source breaks mid-stream, after several parts went up', async () => {
      const key = freshKey('cut.jpg');
      const before = await subject.listEverything();
      const document = fakeDocument(options.partBytes * 3);
      await expect(
        subject.store.put(key, breakingSource(document, options.partBytes * 2 + 1000), {
          contentType: 'image/jpeg',
        }),
      ).rejects.toThrow(/connection reset by peer/);
      expect(await subject.listEverything()).toEqual(before);
      await expect((async () => readAll(await subject.store.get(key)))()).rejects.toThrow();
    });

    it('leaves nothing visible when the upload is cancelled (activity cancellation)', async () => {
      const key = freshKey('cancelled.jpg');
      const before = await subject.listEverything();
      const controller = new AbortController();
      const document = fakeDocument(options.partBytes * 3);
      const slow = Readable.from(
        (async function* () {
          for (let offset = 0; offset < document.length; offset += 512 * 1024) {
            if (offset >= options.partBytes * 2) controller.abort();
            yield document.subarray(offset, offset + 512 * 1024);
            await new Promise((resolve) => setTimeout(resolve, 5));
          }
        })(),
      );
      await expect(
        subject.store.put(key, slow, { contentType: 'image/jpeg', signal: controller.signal }),
      ).rejects.toThrow(/abort/i);
      expect(await subject.listEverything()).toEqual(before);
    });

    it('streams a 192 MiB document with bounded memory, both ways', async () => {
      const total = LARGE_DOCUMENT_BYTES;
      const key = freshKey('large.pdf');
      const hash = createHash('sha256');
      const { result: stored, peakBytes: putPeak } = await peakMemoryGrowth(() =>
        subject.store.put(key, generatedSource(total, hash), { contentType: 'application/pdf' }),
      );
      expect(stored.bytes).toBe(total);
      expect(stored.sha256).toBe(hash.digest('hex'));

      const { result: readBack, peakBytes: getPeak } = await peakMemoryGrowth(async () => {
        const reading = createHash('sha256');
        let bytes = 0;
        for await (const chunk of await subject.store.get(key)) {
          reading.update(chunk as Buffer);
          bytes += (chunk as Buffer).length;
        }
        return { sha256: reading.digest('hex'), bytes };
      });
      expect(readBack).toEqual({ sha256: stored.sha256, bytes: total });
      process.stderr.write(
        `[${name}] 192 MiB document: peak heap + buffers growth, put ${(putPeak / 2 ** 20).toFixed(1)} MiB, get ${(getPeak / 2 ** 20).toFixed(1)} MiB\n`,
      );
      // A store that buffered the document would grow by at least its size, twice with the ciphertext.
      expect(putPeak).toBeLessThan(LARGE_DOCUMENT_BYTES / 2);
      expect(getPeak).toBeLessThan(LARGE_DOCUMENT_BYTES / 2);
    }, 180_000);

    it('refuses an altered document, a missing one, and an unsafe key', async () => {
      const key = freshKey('tampered.png');
      await subject.store.put(key, chunked(fakeDocument(200_000), 65_536), { contentType: 'image/png' });
      const pristine = await subject.readRaw(key);
      const flipped = Buffer.from(pristine);
      flipped[pristine.length >> 1] ^= 0x80;
      await subject.writeRaw(key, flipped);
      await expect(readAll(await subject.store.get(key))).rejects.toThrow(DocumentDecryptionError);

      await expect(
        (async () => readAll(await subject.store.get(freshKey('never-stored.png'))))(),
      ).rejects.toThrow();
      await expect(
        subject.store.put('../outside.png', Readable.from([]), { contentType: 'image/png' }),
      ).rejects.toThrow(/unsafe document key/);
    });

    it('lists, deletes one document, and erases a whole customer prefix (partial uploads included)', async () => {
      const customer = `erase-${process.pid}-${++seq}`;
      const other = `keep-${process.pid}-${seq}`;
      const keys = [
        `${customer}/kyc-1/front.jpg`,
        `${customer}/kyc-1/back.jpg`,
        `${customer}/kyc-2/face.jpg`,
      ];
      for (const key of [...keys, `${other}/kyc-9/front.jpg`]) {
        await subject.store.put(key, chunked(fakeDocument(3000), 1000), { contentType: 'image/jpeg' });
      }
      // An interrupted copy: the store keeps nothing visible, but whatever it left must go with the prefix.
      const interrupted = `${customer}/kyc-2/interrupted.jpg`;
      const abort = new AbortController();
      const source = breakingSource(fakeDocument(options.partBytes * 2), options.partBytes + 1000);
      await subject.store
        .put(interrupted, source, { contentType: 'image/jpeg', signal: abort.signal })
        .catch(() => undefined);

      expect(await subject.store.list(`${customer}/`)).toEqual([...keys].sort());
      expect(await subject.store.delete(keys[0])).toBe(true);
      expect(await subject.store.delete(keys[0])).toBe(false);
      expect(await subject.store.list(`${customer}/`)).toEqual([keys[1], keys[2]].sort());

      expect(await subject.store.deletePrefix(`${customer}/`)).toBe(2);
      expect(await subject.store.deletePrefix(`${customer}/`)).toBe(0);
      expect(await subject.store.list(`${customer}/`)).toEqual([]);
      expect((await subject.listEverything()).filter((key) => key.startsWith(`${customer}/`))).toEqual([]);
      expect(await subject.store.list(`${other}/`)).toEqual([`${other}/kyc-9/front.jpg`]);
      await expect(subject.store.deletePrefix('no-trailing-slash')).rejects.toThrow(/ends with/);
      await expect(subject.store.deletePrefix('../')).rejects.toThrow(/unsafe/);
    });
  });
}
