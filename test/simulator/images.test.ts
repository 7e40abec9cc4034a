/** The simulator's document images: valid JPEGs of exactly the asked size, deterministic, streamed. */
import { createHash } from 'node:crypto';
import { OndatoError } from '../../ondato/errors';
import { jpegStream, planJpeg, type ImageKind } from '../../simulator/images';
import { checkJpeg } from './jpeg-structure';
import { createRequest, startTestSimulator, type TestSimulator } from './support';

async function collect(seed: string, bytes: number, kind: ImageKind = 'document'): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of jpegStream(planJpeg(seed, bytes, kind))) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The picture alone; its size depends on the seed (the picture and its comment differ). */
const bareSize = (seed: string): number => planJpeg(seed, 0).totalBytes;

describe('generated JPEGs', () => {
  it('the bare picture is a small, complete baseline JPEG', async () => {
    const image = await collect('seed-1', 0);
    expect(image.length).toBe(bareSize('seed-1'));
    expect(image.length).toBeLessThan(16 * 1024);
    const structure = checkJpeg(image);
    expect(structure).toMatchObject({ width: 480, height: 304, components: 3, blocks: 60 * 38 * 3 });
    expect(structure.markers.slice(0, 2)).toEqual([0xd8, 0xe0]);
    expect(structure.markers).toEqual(expect.arrayContaining([0xdb, 0xc0, 0xc4, 0xda, 0xd9]));
  });

  // Around every boundary of the padding layout: too small for a segment, exactly one full segment, a
  // remainder of 1–3 bytes after a full segment.
  const SEGMENT = 65_537;
  it.each([
    0,
    1,
    2,
    3,
    4,
    5,
    100,
    SEGMENT - 1,
    SEGMENT,
    SEGMENT + 1,
    SEGMENT + 3,
    SEGMENT + 4,
    2 * SEGMENT + 2,
  ])('is exactly the bare size + %i bytes, and valid', async (extra) => {
    const seed = `extra-${extra}`;
    const size = bareSize(seed) + extra;
    const image = await collect(seed, size);
    expect(image.length).toBe(size);
    expect(planJpeg(seed, size).totalBytes).toBe(size);
    expect(checkJpeg(image).blocks).toBe(60 * 38 * 3);
  });

  it('never goes below the bare picture', async () => {
    expect((await collect('tiny', 10)).length).toBe(bareSize('tiny'));
  });

  it('is deterministic per seed, and seeds and kinds differ', async () => {
    const hash = async (seed: string, kind: ImageKind): Promise<string> =>
      createHash('sha256')
        .update(await collect(seed, 300_000, kind))
        .digest('hex');
    expect(await hash('a', 'document')).toBe(await hash('a', 'document'));
    expect(await hash('a', 'document')).not.toBe(await hash('b', 'document'));
    expect(await hash('a', 'document')).not.toBe(await hash('a', 'selfie'));
    checkJpeg(await collect('a', 300_000, 'selfie'));
  });

  it('streams in chunks of at most 64 KiB', async () => {
    let largest = 0;
    for await (const chunk of jpegStream(planJpeg('chunks', 1_000_000)))
      largest = Math.max(largest, (chunk as Buffer).length);
    expect(largest).toBeLessThanOrEqual(64 * 1024 + 4);
  });
});

describe('file downloads over HTTP', () => {
  let sim: TestSimulator;

  beforeAll(async () => {
    sim = await startTestSimulator({ documentBytes: 3_000_000 });
  });
  afterAll(() => sim.close());

  it('serves every file of an identification as a valid JPEG with its Content-Length', async () => {
    const client = sim.client();
    const { id } = await client.createIdentityVerification(createRequest());
    const { kycId } = await sim.control.complete(id, { outcome: 'approved' });
    const kyc = await client.getKycIdentification(kycId as string);
    const files = [...(kyc.document?.files ?? []), ...(kyc.face?.files ?? [])];
    expect(files).toHaveLength(3);
    for (const file of files) {
      const download = await client.downloadKycFile(kyc.id, file.fileId);
      expect(download).toMatchObject({ contentType: 'image/jpeg', contentLength: 3_000_000 });
      const chunks: Buffer[] = [];
      for await (const chunk of download.stream) chunks.push(chunk as Buffer);
      const image = Buffer.concat(chunks);
      expect(image.length).toBe(3_000_000);
      expect(image.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
      expect(image.subarray(-2)).toEqual(Buffer.from([0xff, 0xd9]));
      expect(checkJpeg(image).blocks).toBe(60 * 38 * 3);
      // The same file downloads to the same bytes: the simulator derives them from the file id.
      const again = await collect(file.fileId, 3_000_000, file.part === 'Selfie' ? 'selfie' : 'document');
      expect(again.equals(image)).toBe(true);
    }
  });

  it('documentBytes of a completion sets the size of its files', async () => {
    const client = sim.client();
    const { id } = await client.createIdentityVerification(createRequest());
    const { kycId } = await sim.control.complete(id, { outcome: 'approved', documentBytes: 123_457 });
    const kyc = await client.getKycIdentification(kycId as string);
    const download = await client.downloadKycFile(kyc.id, kyc.document!.files![1].fileId);
    expect(download.contentLength).toBe(123_457);
    download.stream.destroy();
  });

  it('a file of another identification is not found', async () => {
    const client = sim.client();
    const first = await sim.control.complete((await client.createIdentityVerification(createRequest())).id, {
      outcome: 'approved',
    });
    const second = await sim.control.complete((await client.createIdentityVerification(createRequest())).id, {
      outcome: 'approved',
    });
    const fileOfFirst = (await client.getKycIdentification(first.kycId as string)).document!.files![0].fileId;
    await expect(client.downloadKycFile(second.kycId as string, fileOfFirst)).rejects.toBeInstanceOf(
      OndatoError,
    );
  });
});
