/**
 * Deterministic document images of any size, streamed. The picture itself is a small real baseline JPEG
 * (a blocky ID card or selfie whose colours and layout derive from a seed, e.g. the file id); it is grown to the
 * requested size with application (APP15) segments inserted before the scan, filled with a seeded keystream. Memory
 * use does not depend on the size: the padding is produced 64 KiB at a time as the reader pulls.
 *
 * Encoding: 4:4:4 YCbCr, every 8×8 block a flat colour, so each block is only a DC coefficient followed by an
 * end-of-block code; that needs no DCT and decodes exactly in any JPEG decoder.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { Readable } from 'node:stream';

export type ImageKind = 'document' | 'selfie';

const WIDTH_BLOCKS = 60;
const HEIGHT_BLOCKS = 38;
const WIDTH = WIDTH_BLOCKS * 8;
const HEIGHT = HEIGHT_BLOCKS * 8;

/** Padding goes into APP15 segments: opaque to decoders, and not shown as text by tools that print comments. */
const PADDING_MARKER = 0xef;
/** A segment carries at most 65533 payload bytes (its length field counts itself). */
const MAX_SEGMENT_PAYLOAD = 65_533;
const SEGMENT_HEADER = 4;
const CHUNK = 64 * 1024;

export interface JpegPlan {
  /** The exact number of bytes the stream will produce. */
  totalBytes: number;
  /** SOI up to the last table, including the descriptive comment. */
  head: Buffer;
  /** Payload sizes of the padding segments, in order. */
  paddingPayloads: number[];
  /** SOS, the entropy-coded picture and EOI. */
  tail: Buffer;
  seed: string;
}

/**
 * Plans an image of `requestedBytes` (exactly, unless that is below the bare picture's size, about 8 KB: then
 * the bare picture).
 */
export function planJpeg(seed: string, requestedBytes: number, kind: ImageKind = 'document'): JpegPlan {
  const tail = Buffer.concat([startOfScan(), encodePicture(drawPicture(seed, kind)), marker(0xd9)]);
  const description = `Ondato simulator ${kind} image ${seed}`;
  const bare = buildHead(description).length + tail.length;
  const extra = requestedBytes - bare;
  if (extra > 0 && extra < SEGMENT_HEADER) {
    // Too little for a segment of its own: lengthen the comment instead.
    const head = buildHead(description + ' '.repeat(extra));
    return { totalBytes: head.length + tail.length, head, paddingPayloads: [], tail, seed };
  }
  const head = buildHead(description);
  const paddingPayloads = extra > 0 ? paddingLayout(extra) : [];
  const padding = paddingPayloads.reduce((sum, payload) => sum + SEGMENT_HEADER + payload, 0);
  return { totalBytes: head.length + padding + tail.length, head, paddingPayloads, tail, seed };
}

/** Splits `bytes` into segments of header + payload, none shorter than a header. */
function paddingLayout(bytes: number): number[] {
  const payloads: number[] = [];
  let remaining = bytes;
  while (remaining > 0) {
    let segment = Math.min(remaining, SEGMENT_HEADER + MAX_SEGMENT_PAYLOAD);
    const rest = remaining - segment;
    if (rest > 0 && rest < SEGMENT_HEADER) segment -= SEGMENT_HEADER;
    payloads.push(segment - SEGMENT_HEADER);
    remaining -= segment;
  }
  return payloads;
}

/** Streams the planned bytes, pulled by the reader, in chunks of at most 64 KiB. */
export function jpegStream(plan: JpegPlan): Readable {
  return Readable.from(jpegChunks(plan), { objectMode: false });
}

function* jpegChunks(plan: JpegPlan): Generator<Buffer> {
  yield plan.head;
  const keystream = seededKeystream(plan.seed);
  for (const payload of plan.paddingPayloads) {
    const header = Buffer.from([0xff, PADDING_MARKER, ((payload + 2) >> 8) & 0xff, (payload + 2) & 0xff]);
    let left = payload;
    let first = true;
    while (first || left > 0) {
      const size = Math.min(left, CHUNK);
      const bytes = keystream(size);
      yield first ? Buffer.concat([header, bytes]) : bytes;
      left -= size;
      first = false;
    }
  }
  yield plan.tail;
}

/** AES-CTR over zeros: fast, deterministic filler derived from the seed. */
function seededKeystream(seed: string): (size: number) => Buffer {
  const key = createHash('sha256').update(`padding:${seed}`).digest();
  const cipher = createCipheriv('aes-128-ctr', key.subarray(0, 16), key.subarray(16, 32));
  const zeros = Buffer.alloc(CHUNK);
  return (size) => cipher.update(zeros.subarray(0, size));
}

// ---- the picture -------------------------------------------------------------------------------------------

type Rgb = readonly [number, number, number];

/** A WIDTH_BLOCKS × HEIGHT_BLOCKS grid of flat colours. */
type BlockPicture = Rgb[][];

function drawPicture(seed: string, kind: ImageKind): BlockPicture {
  const hash = createHash('sha256').update(seed).digest();
  const hue = (hash[0] / 255) * 360;
  const canvas: Rgb[][] = Array.from({ length: HEIGHT_BLOCKS }, () =>
    Array.from({ length: WIDTH_BLOCKS }, (): Rgb => [0, 0, 0]),
  );
  const fill = (x0: number, y0: number, x1: number, y1: number, colour: Rgb): void => {
    for (let y = Math.max(0, y0); y < Math.min(HEIGHT_BLOCKS, y1); y++) {
      for (let x = Math.max(0, x0); x < Math.min(WIDTH_BLOCKS, x1); x++) canvas[y][x] = colour;
    }
  };
  type Box = readonly [number, number, number, number];
  const everywhere: Box = [0, 0, WIDTH_BLOCKS, HEIGHT_BLOCKS];
  const ellipse = (
    cx: number,
    cy: number,
    rx: number,
    ry: number,
    colour: Rgb,
    [x0, y0, x1, y1] = everywhere,
  ): void => {
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        const dx = (x + 0.5 - cx) / rx;
        const dy = (y + 0.5 - cy) / ry;
        if (dx * dx + dy * dy <= 1) canvas[y][x] = colour;
      }
    }
  };
  const skin = hsl(20 + (hash[3] % 20), 0.45, 0.55 + (hash[4] % 20) / 100);
  const hair = hsl(hash[5] % 40, 0.4, 0.12 + (hash[6] % 20) / 100);

  if (kind === 'selfie') {
    for (let y = 0; y < HEIGHT_BLOCKS; y++) fill(0, y, WIDTH_BLOCKS, y + 1, hsl(hue, 0.25, 0.8 - y * 0.008));
    ellipse(30, 42, 20, 12, hsl(hue + 180, 0.35, 0.35)); // shoulders
    ellipse(30, 17, 9, 12, hair);
    ellipse(30, 19, 8, 10.5, skin);
    fill(26, 16, 28, 17, hsl(0, 0, 0.15)); // eyes
    fill(32, 16, 34, 17, hsl(0, 0, 0.15));
    fill(28, 23, 32, 24, hsl(0, 0.5, 0.4)); // mouth
    return canvas;
  }

  fill(0, 0, WIDTH_BLOCKS, HEIGHT_BLOCKS, hsl(0, 0, 0.35)); // the table the card lies on
  fill(2, 2, WIDTH_BLOCKS - 2, HEIGHT_BLOCKS - 2, hsl(hue, 0.35, 0.88)); // the card
  fill(2, 2, WIDTH_BLOCKS - 2, 7, hsl(hue, 0.55, 0.4)); // header band
  const photo: Box = [4, 9, 18, 29];
  fill(...photo, hsl(hue, 0.15, 0.75));
  ellipse(11, 30, 7, 5, hsl(hue + 180, 0.3, 0.35), photo);
  ellipse(11, 15.5, 5, 6, hair, photo);
  ellipse(11, 17, 4.5, 5.5, skin, photo);
  const ink = hsl(hue, 0.2, 0.25);
  for (let line = 0; line < 6; line++) {
    const length = 14 + (hash[8 + line] % 22);
    fill(21, 10 + line * 3, 21 + length, 11 + line * 3, ink);
  }
  for (let row = 0; row < 2; row++) {
    // Machine-readable zone: a dotted line whose pattern depends on the seed.
    for (let x = 4; x < WIDTH_BLOCKS - 4; x++) {
      const bit = (hash[(x + row * 17) % 32] >> (x % 8)) & 1;
      if (bit) fill(x, 31 + row * 2, x + 1, 32 + row * 2, hsl(0, 0, 0.2));
    }
  }
  return canvas;
}

function hsl(hueDegrees: number, saturation: number, lightness: number): Rgb {
  const h = (((hueDegrees % 360) + 360) % 360) / 60;
  const chroma = (1 - Math.abs(2 * lightness - 1)) * saturation;
  const x = chroma * (1 - Math.abs((h % 2) - 1));
  const [r, g, b] =
    h < 1
      ? [chroma, x, 0]
      : h < 2
        ? [x, chroma, 0]
        : h < 3
          ? [0, chroma, x]
          : h < 4
            ? [0, x, chroma]
            : h < 5
              ? [x, 0, chroma]
              : [chroma, 0, x];
  const m = lightness - chroma / 2;
  return [Math.round((r + m) * 255), Math.round((g + m) * 255), Math.round((b + m) * 255)];
}

// ---- JPEG syntax -------------------------------------------------------------------------------------------

/** ITU T.81 Annex K.3, table K.3: the typical luminance DC code lengths (categories 0–11). */
const DC_BITS = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
const DC_VALUES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
/** Every block is flat, so the only AC symbol ever written is end-of-block (0x00). */
const AC_BITS = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
const AC_VALUES = [0x00];
/** Quantiser 8 for DC makes a quantised DC coefficient equal to (sample − 128). */
const DC_QUANT = 8;
const AC_QUANT = 16;

function marker(code: number): Buffer {
  return Buffer.from([0xff, code]);
}

function segment(code: number, payload: Buffer): Buffer {
  const length = payload.length + 2;
  return Buffer.concat([Buffer.from([0xff, code, length >> 8, length & 0xff]), payload]);
}

function buildHead(description: string): Buffer {
  const jfif = Buffer.from([0x4a, 0x46, 0x49, 0x46, 0x00, 1, 1, 0, 0, 1, 0, 1, 0, 0]);
  const quant = Buffer.alloc(65, AC_QUANT);
  quant[0] = 0x00; // 8-bit precision, table 0
  quant[1] = DC_QUANT;
  const frame = Buffer.from([
    8,
    HEIGHT >> 8,
    HEIGHT & 0xff,
    WIDTH >> 8,
    WIDTH & 0xff,
    3,
    ...[1, 2, 3].flatMap((id) => [id, 0x11, 0]), // no subsampling, quant table 0
  ]);
  const tables = Buffer.from([0x00, ...DC_BITS, ...DC_VALUES, 0x10, ...AC_BITS, ...AC_VALUES]);
  return Buffer.concat([
    marker(0xd8),
    segment(0xe0, jfif),
    segment(0xfe, Buffer.from(description, 'latin1')),
    segment(0xdb, quant),
    segment(0xc0, frame),
    segment(0xc4, tables),
  ]);
}

function startOfScan(): Buffer {
  return segment(0xda, Buffer.from([3, 1, 0x00, 2, 0x00, 3, 0x00, 0, 63, 0]));
}

/** Canonical Huffman codes from the code-length counts (T.81 Annex C). */
function huffmanCodes(bits: number[], values: number[]): Map<number, { code: number; length: number }> {
  const codes = new Map<number, { code: number; length: number }>();
  let code = 0;
  let index = 0;
  for (let length = 1; length <= 16; length++) {
    for (let i = 0; i < bits[length - 1]; i++) codes.set(values[index++], { code: code++, length });
    code <<= 1;
  }
  return codes;
}

class BitWriter {
  private readonly bytes: number[] = [];
  private buffer = 0;
  private count = 0;

  write(value: number, length: number): void {
    for (let bit = length - 1; bit >= 0; bit--) {
      this.buffer = (this.buffer << 1) | ((value >> bit) & 1);
      if (++this.count === 8) this.flushByte();
    }
  }

  /** Pads the last byte with one-bits, as T.81 F.1.2.3 asks. */
  finish(): Buffer {
    while (this.count !== 0) this.write(1, 1);
    return Buffer.from(this.bytes);
  }

  private flushByte(): void {
    this.bytes.push(this.buffer);
    if (this.buffer === 0xff) this.bytes.push(0x00); // byte stuffing
    this.buffer = 0;
    this.count = 0;
  }
}

function encodePicture(picture: BlockPicture): Buffer {
  const dc = huffmanCodes(DC_BITS, DC_VALUES);
  const endOfBlock = huffmanCodes(AC_BITS, AC_VALUES).get(0x00)!;
  const writer = new BitWriter();
  const previous = [0, 0, 0];
  for (const row of picture) {
    for (const rgb of row) {
      const components = toYCbCr(rgb);
      for (let c = 0; c < 3; c++) {
        const coefficient = components[c] - 128;
        const diff = coefficient - previous[c];
        previous[c] = coefficient;
        const category = diff === 0 ? 0 : Math.floor(Math.log2(Math.abs(diff))) + 1;
        const symbol = dc.get(category)!;
        writer.write(symbol.code, symbol.length);
        // Negative differences are sent as diff − 1 in `category` bits (one's complement form).
        if (category > 0) writer.write(diff > 0 ? diff : diff - 1 + (1 << category), category);
        writer.write(endOfBlock.code, endOfBlock.length);
      }
    }
  }
  return writer.finish();
}

function toYCbCr([r, g, b]: Rgb): [number, number, number] {
  const clamp = (value: number): number => Math.max(0, Math.min(255, Math.round(value)));
  return [
    clamp(0.299 * r + 0.587 * g + 0.114 * b),
    clamp(128 - 0.168736 * r - 0.331264 * g + 0.5 * b),
    clamp(128 + 0.5 * r - 0.418688 * g - 0.081312 * b),
  ];
}
