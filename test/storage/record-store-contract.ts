/**
 * What every record store does (storage/record-store.ts), run against the local directory
 * (record-store.test.ts) and a real S3 server (record-store.s3-test.ts): one winner among concurrent exclusive
 * creates, sealed bytes at rest, replace, remove, and a sweep by age that leaves younger records alone.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { RecordStore } from '../../storage/record-store';

export interface RecordStoreFixture {
  store: RecordStore;
  /** The bytes as stored, or undefined when absent. */
  readRaw(name: string): Promise<Buffer | undefined>;
}

export const recordName = (): string => createHash('sha256').update(randomUUID()).digest('hex');

export function describeRecordStoreContract(label: string, fixture: () => Promise<RecordStoreFixture>): void {
  describe(`record store contract: ${label}`, () => {
    let store: RecordStore;
    let readRaw: RecordStoreFixture['readRaw'];
    beforeAll(async () => {
      ({ store, readRaw } = await fixture());
    });

    it('lets exactly one of concurrent exclusive creates win, and keeps the winner', async () => {
      const name = recordName();
      const bodies = Array.from({ length: 8 }, (_, index) => Buffer.from(`claim ${index}`));
      const won = await Promise.all(bodies.map((body) => store.create(name, body)));
      expect(won.filter(Boolean)).toHaveLength(1);
      expect(await store.read(name)).toEqual(bodies[won.indexOf(true)]);
      expect(await store.create(name, Buffer.from('late'))).toBe(false);
    });

    it('seals what it stores and opens it again', async () => {
      const name = recordName();
      const plain = Buffer.from('{"answer":"Ona Zuikytė"}');
      expect(await store.create(name, plain)).toBe(true);
      const raw = await readRaw(name);
      expect(raw).toBeDefined();
      expect(raw!.includes(Buffer.from('Zuikyt'))).toBe(false);
      expect(raw!.subarray(0, 4).toString('ascii')).toBe('ODOC');
      expect(await store.read(name)).toEqual(plain);
    });

    it('replaces, removes, and reads nothing where nothing is', async () => {
      const name = recordName();
      expect(await store.read(name)).toBeUndefined();
      await store.replace(name, Buffer.from('first'));
      await store.replace(name, Buffer.from('second'));
      expect((await store.read(name))?.toString()).toBe('second');
      await store.remove(name);
      await store.remove(name);
      expect(await store.read(name)).toBeUndefined();
      expect(await store.create(name, Buffer.from('again'))).toBe(true);
    });

    it('sweeps the records written before a time and keeps the younger ones', async () => {
      const old = recordName();
      await store.create(old, Buffer.from('old'));
      // S3 keeps LastModified in whole seconds: the young record comes two seconds after the cutoff.
      const cutoff = new Date(Date.now() + 1_000);
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      const young = recordName();
      await store.create(young, Buffer.from('young'));
      expect(await store.removeWrittenBefore(cutoff)).toBeGreaterThanOrEqual(1);
      expect(await store.read(old)).toBeUndefined();
      expect((await store.read(young))?.toString()).toBe('young');
    });

    it('refuses a name that is not a digest', async () => {
      await expect(store.read('../../etc/passwd')).rejects.toThrow(/unsafe record name/);
    });
  });
}
