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

const FILE_BYTES = 50 * 1024 * 1024;
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

  constructor(private readonly sample: () => Promise<void>) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    if (this.bytes < this.nextSampleAt) {
      callback();
      return;
    }
    this.nextSampleAt += SAMPLE_EVERY_BYTES;
    this.sample().then(() => callback(), callback);
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
  const heapGrowths: number[] = [];
  const bufferGrowths: number[] = [];
  const sample = async (): Promise<void> => {
    // With a collector, measure what is retained; without, the raw peak (an upper bound). Buffers freed by
    // a collection are released a moment later, hence the turn of the event loop.
    gc?.();
    await new Promise((resolve) => setImmediate(resolve));
    const usage = process.memoryUsage();
    heapGrowths.push(usage.heapUsed - baseline.heapUsed);
    bufferGrowths.push(usage.arrayBuffers - baseline.arrayBuffers);
  };

  const startedAt = Date.now();
  const download = await client.downloadKycFile(kycId as string, fileId);
  expect(download.contentLength).toBe(FILE_BYTES);
  const sink = new HashingSink(sample);
  await pipeline(download.stream, sink);
  const elapsedMs = Date.now() - startedAt;

  const expected = createHash('sha256');
  for await (const chunk of jpegStream(planJpeg(fileId, FILE_BYTES, 'document')))
    expected.update(chunk as Buffer);

  expect(sink.bytes).toBe(FILE_BYTES);
  expect(sink.hash.digest('hex')).toBe(expected.digest('hex'));

  expect(heapGrowths.length).toBeGreaterThanOrEqual(10);
  const heapGrowth = Math.max(...heapGrowths);
  const typicalBufferGrowth = median(bufferGrowths);
  const mb = (bytes: number): string => (bytes / 1048576).toFixed(1);
  console.info(
    `50 MB download: ${elapsedMs} ms; heap growth peak ${mb(heapGrowth)} MB; buffers outside the heap: median ` +
      `${mb(typicalBufferGrowth)} MB, peak ${mb(Math.max(...bufferGrowths))} MB (${gc ? 'sampled after gc' : 'no gc'})`,
  );
  expect(heapGrowth).toBeLessThan(MAX_HEAP_GROWTH);
  // Buffers live outside the heap. Single samples can catch a burst in flight (or memory not yet released),
  // but a client that collected the body would hold tens of MB in most samples.
  expect(typicalBufferGrowth).toBeLessThan(MAX_HEAP_GROWTH);
});

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
