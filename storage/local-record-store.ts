/**
 * Records in a local directory (see record-store.ts). An exclusive create writes a temporary file and then
 * hard-links it into place: `link` fails when the name exists, so of two writers exactly one wins, and a
 * reader never sees a half-written record. Processes on one machine (or one shared volume) see the same
 * records; replicas on separate disks do not (use the S3 store then).
 */
import { randomUUID } from 'node:crypto';
import { link, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { KeyRing } from '../codec/keys';
import { assertRecordName, openRecord, sealRecord, type RecordStore } from './record-store';

const TEMPORARY_SUFFIX = '.partial';

function isErrno(error: unknown, code: string): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === code;
}

export class LocalRecordStore implements RecordStore {
  constructor(
    /** The folder of these records only (swept as a whole). */
    private readonly dir: string,
    private readonly keys: KeyRing,
  ) {}

  private pathOf(name: string): string {
    assertRecordName(name);
    return path.join(this.dir, name);
  }

  /** The sealed record in a temporary file next to its final name. */
  private async writeTemporary(name: string, plain: Buffer): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    const temporary = path.join(this.dir, `${name}.${randomUUID()}${TEMPORARY_SUFFIX}`);
    await writeFile(temporary, await sealRecord(this.keys, plain), { flag: 'wx', flush: true });
    return temporary;
  }

  async create(name: string, plain: Buffer): Promise<boolean> {
    const target = this.pathOf(name);
    const temporary = await this.writeTemporary(name, plain);
    try {
      await link(temporary, target);
      return true;
    } catch (error) {
      if (isErrno(error, 'EEXIST')) return false;
      throw error;
    } finally {
      await rm(temporary, { force: true });
    }
  }

  async read(name: string): Promise<Buffer | undefined> {
    let sealed: Buffer;
    try {
      sealed = await readFile(this.pathOf(name));
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return undefined;
      throw error;
    }
    return openRecord(this.keys, sealed, name);
  }

  async replace(name: string, plain: Buffer): Promise<void> {
    const target = this.pathOf(name);
    const temporary = await this.writeTemporary(name, plain);
    try {
      await rename(temporary, target);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  async remove(name: string): Promise<void> {
    await rm(this.pathOf(name), { force: true });
  }

  async removeWrittenBefore(cutoff: Date): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return 0;
      throw error;
    }
    let removed = 0;
    for (const name of names) {
      const file = path.join(this.dir, name);
      try {
        if ((await stat(file)).mtime < cutoff) {
          await rm(file, { force: true });
          removed++;
        }
      } catch (error) {
        // Another replica's sweep got there first.
        if (!isErrno(error, 'ENOENT')) throw error;
      }
    }
    return removed;
  }
}
