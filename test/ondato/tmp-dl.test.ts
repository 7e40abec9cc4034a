/**
 * A 50 MB document streamed from the simulator through the client into a hashing sink: the bytes are exactly
 * the simulator's deterministic image, and the heap does not grow with the file (nothing is buffered whole).
 */
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { jpegStream, planJpeg } from '../../simulator/images';
import { createRequest, startTestSimulator, type TestSimulator } from '../simulator/support';

const FILE_BYTES = 100 * 1024 * 1024;
const SAMPLE_EVERY_BYTES = 4 * 1024 * 1024;
const MAX_HEAP_GROWTH = 20 * 1024 * 1024;

/** `global.gc` when node runs with --expose-gc; otherwise switch the flag on and take gc from a new context. */
function garbageCollector(): (() => void) | undefined {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === 'function') return exposed;
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  }
}

class HashingSink extends Writable {
  readonly hash = createHash('sha256');
  bytes = 0;
  private nextSampleAt = SAMPLE_EVERY_BYTES;

  constructor(private readonly sample: () => void) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    if (this.bytes >= this.nextSampleAt) {
      this.nextSampleAt += SAMPLE_EVERY_BYTES;
      this.sample();
    }
    callback();
  }
}

let sim: TestSimulator;

beforeAll(async () => {
  sim = await startTestSimulator();
});
afterAll(() => sim.close());

it('streams a 50 MB file with bounded heap growth, byte for byte', async () => {
  const client = sim.client();
  const { id } = await client.createIdentityVerification(createRequest());
  const { kycId } = await sim.control.complete(id, { outcome: 'approved', documentBytes: FILE_BYTES });
  const kyc = await client.getKycIdentification(kycId as string);
  const fileId = kyc.document!.files![0].fileId;

  const gc = garbageCollector();
  gc?.();
  const baseline = process.memoryUsage();
  let peakHeap = baseline.heapUsed;
  let peakBuffers = baseline.arrayBuffers;
  const sample = (): void => {
    // With a collector, measure what is retained; without, the raw peak (an upper bound).
    gc?.();
    const usage = process.memoryUsage();
    peakHeap = Math.max(peakHeap, usage.heapUsed);
    peakBuffers = Math.max(peakBuffers, usage.arrayBuffers);
  };

  const startedAt = Date.now();
  const download = await client.downloadKycFile(kycId as string, fileId);
  expect(download.contentLength).toBe(FILE_BYTES);
  const sink = new HashingSink(sample);
  await pipeline(download.stream, sink);
  const elapsedMs = Date.now() - startedAt;

  const expected = createHash('sha256');
  for await (const chunk of jpegStream(planJpeg(fileId, FILE_BYTES, 'document'))) expected.update(chunk as Buffer);

  expect(sink.bytes).toBe(FILE_BYTES);
  expect(sink.hash.digest('hex')).toBe(expected.digest('hex'));

  const heapGrowth = peakHeap - baseline.heapUsed;
  const bufferGrowth = peakBuffers - baseline.arrayBuffers;
  console.info(
    `50 MB download: ${elapsedMs} ms; heap growth ${(heapGrowth / 1048576).toFixed(1)} MB, ` +
      `buffer growth ${(bufferGrowth / 1048576).toFixed(1)} MB (${gc ? 'sampled after gc' : 'raw peak, no gc'})`,
  );
  expect(heapGrowth).toBeLessThan(MAX_HEAP_GROWTH);
  // Buffers live outside the heap: a client that collected the body would show ~50 MB here.
  expect(bufferGrowth).toBeLessThan(MAX_HEAP_GROWTH);
});
