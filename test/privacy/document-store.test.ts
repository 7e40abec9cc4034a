/**
 * Documents at rest: the local store writes ciphertext (header with key id and IV, AES-256-GCM, auth tag), hands
 * back a reference to the ORIGINAL bytes, reads them back decrypted, and refuses altered or truncated files.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { LocalDocumentStore } from '../../storage/local-store';
import { DecryptingStream, DocumentDecryptionError, EncryptingStream } from '../../codec/document-cipher';
import { UnknownEncryptionKeyError } from '../../codec/keys';
import { TEST_KEY_A, TEST_KEY_B, testKeyRing } from '../helpers/codec-keys';

const MARKER = Buffer.from('PERSONAL-DOCUMENT-MARKER Ona Zuikytė 48802290000 ');

/** A fake image: random bytes with a recognisable marker repeated through it. */
function fakeDocument(bytes: number): Buffer {
  const document = randomBytes(bytes);
  for (let offset = 0; offset + MARKER.length <= bytes; offset += 64 * 1024) MARKER.copy(document, offset);
  return document;
}

/** Streams `buffer` in chunks of `chunkBytes`, as a download would arrive. */
function chunked(buffer: Buffer, chunkBytes: number): Readable {
  return Readable.from(
    (function* () {
      for (let offset = 0; offset < buffer.length; offset += chunkBytes)
        yield buffer.subarray(offset, offset + chunkBytes);
    })(),
  );
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const sha256 = (buffer: Buffer): string => createHash('sha256').update(buffer).digest('hex');

describe('encrypted local document store', () => {
  let root: string;
  const onlyA = testKeyRing([TEST_KEY_A]);
  const store = () => new LocalDocumentStore(root, onlyA);

  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'encrypted-store-'));
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('writes ciphertext, references the original bytes, and reads them back', async () => {
    const original = fakeDocument(3 * 1024 * 1024 + 77);
    let progress = 0;
    const stored = await store().put('c-1/kyc-1/file-1.jpg', chunked(original, 64 * 1024), {
      contentType: 'image/jpeg',
      onProgress: (bytes) => (progress = bytes),
    });
    expect(stored).toEqual({
      key: 'c-1/kyc-1/file-1.jpg',
      sha256: sha256(original),
      bytes: original.length,
      contentType: 'image/jpeg',
    });
    expect(progress).toBe(original.length);

    const onDisk = readFileSync(path.join(root, stored.key));
    expect(onDisk.equals(original)).toBe(false);
    expect(onDisk.includes(MARKER)).toBe(false);
    expect(onDisk.subarray(0, 4).toString('ascii')).toBe('ODOC');
    expect(onDisk.includes(Buffer.from(TEST_KEY_A.id))).toBe(true);
    // header (4 + 1 + 1 + key id + 12) + ciphertext (same length as the document) + tag (16)
    expect(onDisk.length).toBe(original.length + 6 + TEST_KEY_A.id.length + 12 + 16);

    const read = await readAll(await store().get(stored.key));
    expect(read.equals(original)).toBe(true);
  });

  it('handles an empty document and tiny chunks (header split across chunks)', async () => {
    await store().put('c-1/k/empty.pdf', Readable.from([]), { contentType: 'application/pdf' });
    expect((await readAll(await store().get('c-1/k/empty.pdf'))).length).toBe(0);

    const original = fakeDocument(1000);
    const encrypted = await readAll(chunked(original, 100).pipe(new EncryptingStream(onlyA)));
    for (const chunkBytes of [1, 3, 17, 31]) {
      const decrypted = await readAll(chunked(encrypted, chunkBytes).pipe(new DecryptingStream(onlyA)));
      expect(decrypted.equals(original)).toBe(true);
    }
  });

  it('fails loudly on a tampered, truncated or foreign file', async () => {
    const original = fakeDocument(200_000);
    const { key } = await store().put('c-1/kyc-1/file-2.png', chunked(original, 65_536), {
      contentType: 'image/png',
    });
    const file = path.join(root, key);
    const pristine = readFileSync(file);

    const flipped = Buffer.from(pristine);
    flipped[pristine.length >> 1] ^= 0x80;
    writeFileSync(file, flipped);
    await expect(readAll(await store().get(key))).rejects.toThrow(DocumentDecryptionError);
    await expect(readAll(await store().get(key))).rejects.toThrow(
      /document c-1\/kyc-1\/file-2\.png \(key "test-a"\) failed authentication/,
    );

    const swappedTag = Buffer.from(pristine);
    swappedTag[pristine.length - 1] ^= 0x01;
    writeFileSync(file, swappedTag);
    await expect(readAll(await store().get(key))).rejects.toThrow(/failed authentication/);

    writeFileSync(file, pristine);
    truncateSync(file, pristine.length - 1000);
    await expect(readAll(await store().get(key))).rejects.toThrow(/failed authentication/);
    truncateSync(file, 10);
    await expect(readAll(await store().get(key))).rejects.toThrow(/truncated/);

    writeFileSync(file, original); // a plain file dropped into the store
    await expect(readAll(await store().get(key))).rejects.toThrow(/not an encrypted document/);

    await expect(readAll(await store().get('c-1/kyc-1/missing.png'))).rejects.toThrow(/ENOENT/);
  });

  it('reads documents of a rotated-out key while writing new ones with the active key; a missing key fails loudly', async () => {
    const before = fakeDocument(100_000);
    await store().put('c-2/k/old.jpg', chunked(before, 8192), { contentType: 'image/jpeg' });

    const rotated = new LocalDocumentStore(root, testKeyRing([TEST_KEY_A, TEST_KEY_B], TEST_KEY_B.id));
    const after = fakeDocument(100_000);
    await rotated.put('c-2/k/new.jpg', chunked(after, 8192), { contentType: 'image/jpeg' });
    expect(readFileSync(path.join(root, 'c-2/k/new.jpg')).includes(Buffer.from(TEST_KEY_B.id))).toBe(true);
    expect((await readAll(await rotated.get('c-2/k/old.jpg'))).equals(before)).toBe(true);
    expect((await readAll(await rotated.get('c-2/k/new.jpg'))).equals(after)).toBe(true);

    const withoutA = new LocalDocumentStore(root, testKeyRing([TEST_KEY_B]));
    await expect(readAll(await withoutA.get('c-2/k/old.jpg'))).rejects.toThrow(UnknownEncryptionKeyError);
    await expect(readAll(await withoutA.get('c-2/k/old.jpg'))).rejects.toThrow(
      /key "test-a", which is not in the key ring/,
    );
  });

  it('leaves no document behind when the download fails midway', async () => {
    const failing = new Readable({
      read() {
        this.push(randomBytes(10_000));
        this.destroy(new Error('connection reset'));
      },
    });
    await expect(store().put('c-3/k/broken.jpg', failing, { contentType: 'image/jpeg' })).rejects.toThrow(
      'connection reset',
    );
    await expect(readAll(await store().get('c-3/k/broken.jpg'))).rejects.toThrow(/ENOENT/);
    expect(readdirSync(path.join(root, 'c-3/k'))).toEqual([]);
  });
});
