/**
 * A write stream for one new file that is on disk when it finishes: bytes are gathered into a few fixed
 * 1 MiB buffers and written one buffer at a time at explicit offsets, the next buffer filling (and the
 * producer hashing and encrypting) while the previous one is written on the libuv threadpool; `_final`
 * writes what is left, fsyncs once and closes. Memory is those buffers, whatever the file's size: when all
 * of them are full or being written, `_write` waits, and so does the pipeline feeding it (backpressure).
 *
 * Why not `fs.createWriteStream`: its writes are as small as the network's chunks (16–64 KiB), one threadpool
 * round trip each, and waiting for each before hashing the next chunk left the event loop idle.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { Writable } from 'node:stream';

const BUFFER_BYTES = 1024 * 1024;
/** One filling while up to two are being written. */
const BUFFER_COUNT = 3;

export class DurableFileSink extends Writable {
  private file?: FileHandle;
  private readonly free: Buffer[] = [];
  private filling?: Buffer;
  private filled = 0;
  /** Where the next write goes in the file. */
  private position = 0;
  private readonly writing = new Set<Promise<void>>();
  private writeError?: Error;

  /** `path` must not exist yet (the file is created exclusively). */
  constructor(private readonly path: string) {
    super({ highWaterMark: BUFFER_BYTES, decodeStrings: true });
  }

  override _construct(callback: (error?: Error | null) => void): void {
    open(this.path, 'wx').then(
      (file) => {
        this.file = file;
        for (let i = 0; i < BUFFER_COUNT; i += 1) this.free.push(Buffer.allocUnsafeSlow(BUFFER_BYTES));
        callback();
      },
      (error: Error) => callback(error),
    );
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.copyIn(chunk).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.finish().then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // Let writes in flight end before closing the descriptor under them; the caller removes the file.
    const file = this.file;
    this.file = undefined;
    Promise.allSettled(this.writing)
      .then(() => file?.close())
      .then(
        () => callback(error),
        (closeError: Error) => callback(error ?? closeError),
      );
  }

  private async copyIn(chunk: Buffer): Promise<void> {
    if (this.writeError) throw this.writeError;
    let offset = 0;
    while (offset < chunk.length) {
      const buffer = this.filling ?? (await this.takeFreeBuffer());
      this.filling = buffer;
      const copied = chunk.copy(buffer, this.filled, offset);
      this.filled += copied;
      offset += copied;
      if (this.filled === BUFFER_BYTES) this.startWrite();
    }
  }

  private async takeFreeBuffer(): Promise<Buffer> {
    while (this.free.length === 0) {
      if (this.writeError) throw this.writeError;
      await Promise.race(this.writing);
    }
    if (this.writeError) throw this.writeError;
    return this.free.pop() as Buffer;
  }

  /** Writes the filling buffer in the background; it returns to the free list when written. */
  private startWrite(): void {
    const buffer = this.filling;
    const file = this.file;
    if (!buffer || !file || this.filled === 0) return;
    const length = this.filled;
    const position = this.position;
    this.filling = undefined;
    this.filled = 0;
    this.position += length;
    const write: Promise<void> = writeFully(file, buffer, length, position).then(
      () => {
        this.writing.delete(write);
        this.free.push(buffer);
      },
      (error: Error) => {
        this.writing.delete(write);
        this.writeError ??= error;
      },
    );
    this.writing.add(write);
  }

  private async finish(): Promise<void> {
    this.startWrite();
    await Promise.all(this.writing);
    if (this.writeError) throw this.writeError;
    const file = this.file;
    if (!file) throw new Error(`${this.path} was closed before it was complete`);
    // Durability: the bytes are on disk before the caller's rename publishes the file.
    await file.sync();
    this.file = undefined;
    await file.close();
  }
}

/** A write may be short (e.g. interrupted); finish it. */
async function writeFully(file: FileHandle, buffer: Buffer, length: number, position: number): Promise<void> {
  let done = 0;
  while (done < length) {
    const { bytesWritten } = await file.write(buffer, done, length - done, position + done);
    if (bytesWritten === 0) throw new Error('the disk accepted no bytes');
    done += bytesWritten;
  }
}
