/**
 * Bookkeeping for Temporal dev servers started as child processes (by the tests and the benchmarks): which
 * ones exist, and reaping those whose owner died without stopping them (SIGKILL runs no handler).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Guards against pid reuse: only a process that still is a dev server counts as one. */
export function isDevServer(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('start-dev');
  } catch {
    return false;
  }
}

/** The `temporal server start-dev` processes that are children of `ownerPid`. */
export function devServerChildren(ownerPid: number): number[] {
  let out: string;
  try {
    out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(ownerPid)], { encoding: 'utf8' });
  } catch {
    return []; // ps exits 1 when there is no child
  }
  return out
    .split('\n')
    .filter((line) => line.includes('start-dev'))
    .map((line) => Number.parseInt(line.trim(), 10))
    .filter((pid) => Number.isInteger(pid));
}

export interface DevServerRegistry {
  register(serverPid: number, ownerPid?: number): void;
  unregister(serverPid: number): void;
  /** Kills servers whose owner is gone; returns how many it killed. */
  reapOrphans(): number;
}

/** One registry per kind of owner (`test`, `bench`), in its own folder under the temp directory. */
export function devServerRegistry(kind: string): DevServerRegistry {
  const dir = path.join(tmpdir(), `ondato-onboarding-${kind}-servers`);
  return {
    register(serverPid, ownerPid = process.pid) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, String(serverPid)), JSON.stringify({ ownerPid, serverPid }));
    },
    unregister(serverPid) {
      rmSync(path.join(dir, String(serverPid)), { force: true });
    },
    reapOrphans() {
      let entries: string[];
      try {
        entries = readdirSync(dir);
      } catch {
        return 0;
      }
      let reaped = 0;
      for (const entry of entries) {
        const file = path.join(dir, entry);
        try {
          const { ownerPid, serverPid } = JSON.parse(readFileSync(file, 'utf8')) as {
            ownerPid: number;
            serverPid: number;
          };
          if (isAlive(ownerPid)) continue;
          if (isAlive(serverPid) && isDevServer(serverPid)) {
            process.kill(serverPid, 'SIGKILL');
            reaped += 1;
          }
        } catch {
          // an unreadable entry is dropped
        }
        rmSync(file, { force: true });
      }
      return reaped;
    },
  };
}
