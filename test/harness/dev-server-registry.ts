/**
 * Keeps track of the dev servers that test runs started, so a run that was killed (and so never reached its
 * teardown) does not leave its server behind: the next run reaps every server whose owner is gone.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const REGISTRY_DIR = path.join(tmpdir(), 'ondato-onboarding-test-servers');

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Guards against pid reuse: only a process that still is a dev server gets killed. */
function isDevServer(pid: number): boolean {
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

export function registerDevServer(serverPid: number, ownerPid: number): void {
  mkdirSync(REGISTRY_DIR, { recursive: true });
  writeFileSync(path.join(REGISTRY_DIR, String(serverPid)), JSON.stringify({ ownerPid, serverPid }));
}

export function unregisterDevServer(serverPid: number): void {
  rmSync(path.join(REGISTRY_DIR, String(serverPid)), { force: true });
}

/** Kills servers left behind by runs that died; returns how many it killed. */
export function reapOrphanedDevServers(): number {
  let reaped = 0;
  let entries: string[];
  try {
    entries = readdirSync(REGISTRY_DIR);
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const file = path.join(REGISTRY_DIR, entry);
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
      // unreadable entry: drop it
    }
    rmSync(file, { force: true });
  }
  return reaped;
}
