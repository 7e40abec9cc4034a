/**
 * A structural JPEG check without an image decoder: the marker segments of a baseline JPEG are walked and
 * cross-checked (frame, tables, scan), then the entropy-coded scan is Huffman-decoded far enough to count its
 * blocks. Enough to tell a real JPEG from bytes that merely start with FFD8.
 */
export interface JpegStructure {
  width: number;
  height: number;
  components: number;
  /** Marker codes in file order, SOI and EOI included. */
  markers: number[];
  /** Blocks in the scan, all components together. */
  blocks: number;
}

interface HuffmanTable {
  /** code length → (code → symbol) */
  byLength: Map<number, Map<number, number>>;
}

export function checkJpeg(bytes: Buffer): JpegStructure {
  const fail = (message: string): never => {
    throw new Error(`invalid JPEG: ${message}`);
  };
  if (bytes.readUInt16BE(0) !== 0xffd8) fail('no SOI');
  if (bytes.readUInt16BE(bytes.length - 2) !== 0xffd9) fail('no EOI at the end');

  const markers = [0xd8];
  const huffman = new Map<string, HuffmanTable>();
  const quantTables = new Set<number>();
  let frame: { width: number; height: number; components: Array<{ id: number; quant: number }> } | undefined;
  let position = 2;
  let scanStart = -1;
  let scanComponents: Array<{ dc: number; ac: number }> = [];

  while (scanStart < 0) {
    if (bytes[position] !== 0xff) fail(`expected a marker at ${position}`);
    const marker = bytes[position + 1];
    const length = bytes.readUInt16BE(position + 2);
    if (length < 2) fail(`segment ${marker.toString(16)} has length ${length}`);
    const payload = bytes.subarray(position + 4, position + 2 + length);
    if (payload.length !== length - 2) fail(`segment ${marker.toString(16)} runs past the end`);
    markers.push(marker);
    switch (marker) {
      case 0xe0:
        if (payload.subarray(0, 5).toString('latin1') !== 'JFIF\0') fail('APP0 is not JFIF');
        break;
      case 0xdb:
        for (let offset = 0; offset < payload.length; offset += 65) {
          if (payload[offset] >> 4 !== 0) fail('only 8-bit quantisation tables expected');
          quantTables.add(payload[offset] & 0x0f);
        }
        break;
      case 0xc0: {
        const count = payload[5];
        frame = {
          height: payload.readUInt16BE(1),
          width: payload.readUInt16BE(3),
          components: Array.from({ length: count }, (_, i) => ({
            id: payload[6 + i * 3],
            quant: payload[8 + i * 3],
          })),
        };
        if (payload[0] !== 8) fail('baseline precision must be 8');
        for (const component of frame.components) {
          if (!quantTables.has(component.quant))
            fail(`component ${component.id} uses an undefined quant table`);
        }
        break;
      }
      case 0xc4:
        for (let offset = 0; offset < payload.length;) {
          const counts = [...payload.subarray(offset + 1, offset + 17)];
          const total = counts.reduce((sum, count) => sum + count, 0);
          const symbols = [...payload.subarray(offset + 17, offset + 17 + total)];
          huffman.set(`${payload[offset] >> 4}/${payload[offset] & 0x0f}`, buildTable(counts, symbols));
          offset += 17 + total;
        }
        break;
      case 0xda: {
        if (!frame) fail('scan before frame');
        const count = payload[0];
        scanComponents = Array.from({ length: count }, (_, i) => ({
          dc: payload[2 + i * 2] >> 4,
          ac: payload[2 + i * 2] & 0x0f,
        }));
        for (const { dc, ac } of scanComponents) {
          if (!huffman.has(`0/${dc}`) || !huffman.has(`1/${ac}`))
            fail('scan uses an undefined Huffman table');
        }
        scanStart = position + 2 + length;
        break;
      }
      default:
        if (marker < 0xe0 && marker !== 0xfe)
          fail(`unexpected marker ${marker.toString(16)} before the scan`);
    }
    position += 2 + length;
  }
  if (!frame) return fail('no frame');

  const scan = unstuff(bytes.subarray(scanStart, bytes.length - 2), fail);
  const blocksPerComponent = Math.ceil(frame.width / 8) * Math.ceil(frame.height / 8);
  const blocks = decodeBlocks(scan, scanComponents, huffman, blocksPerComponent, fail);
  markers.push(0xd9);
  return { width: frame.width, height: frame.height, components: frame.components.length, markers, blocks };
}

function buildTable(counts: number[], symbols: number[]): HuffmanTable {
  const byLength = new Map<number, Map<number, number>>();
  let code = 0;
  let index = 0;
  counts.forEach((count, i) => {
    const codes = new Map<number, number>();
    for (let n = 0; n < count; n++) codes.set(code++, symbols[index++]);
    byLength.set(i + 1, codes);
    code <<= 1;
  });
  return { byLength };
}

/** Removes byte stuffing; any other marker inside the scan is an error. */
function unstuff(data: Buffer, fail: (message: string) => never): Buffer {
  const out: number[] = [];
  for (let i = 0; i < data.length; i++) {
    out.push(data[i]);
    if (data[i] === 0xff) {
      if (data[i + 1] !== 0x00) fail(`marker ff${(data[i + 1] ?? 0).toString(16)} inside the scan`);
      i++;
    }
  }
  return Buffer.from(out);
}

/** Decodes DC + AC codes of every block (interleaved, no subsampling) and returns how many there were. */
function decodeBlocks(
  scan: Buffer,
  components: Array<{ dc: number; ac: number }>,
  tables: Map<string, HuffmanTable>,
  blocksPerComponent: number,
  fail: (message: string) => never,
): number {
  let bit = 0;
  const readBit = (): number => {
    if (bit >= scan.length * 8) fail('scan ends early');
    const value = (scan[bit >> 3] >> (7 - (bit & 7))) & 1;
    bit++;
    return value;
  };
  const readSymbol = (table: HuffmanTable): number => {
    let code = 0;
    for (let length = 1; length <= 16; length++) {
      code = (code << 1) | readBit();
      const symbol = table.byLength.get(length)?.get(code);
      if (symbol !== undefined) return symbol;
    }
    return fail('invalid Huffman code');
  };
  let blocks = 0;
  for (let mcu = 0; mcu < blocksPerComponent; mcu++) {
    for (const component of components) {
      const category = readSymbol(tables.get(`0/${component.dc}`)!);
      for (let i = 0; i < category; i++) readBit();
      for (let k = 1; k < 64;) {
        const symbol = readSymbol(tables.get(`1/${component.ac}`)!);
        if (symbol === 0x00) break; // end of block
        const run = symbol >> 4;
        const size = symbol & 0x0f;
        for (let i = 0; i < size; i++) readBit();
        k += run + 1;
      }
      blocks++;
    }
  }
  // What is left is padding to the byte boundary, all one-bits.
  if (scan.length * 8 - bit >= 8) fail('data after the last block');
  while (bit < scan.length * 8) if (readBit() !== 1) fail('trailing bits are not padding');
  return blocks;
}
