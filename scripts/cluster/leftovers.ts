/**
 * Every process the cluster starts keeps its pid in `<data dir>/pids/<name>.pid` while it runs. A cluster killed
 * outright (SIGKILL, a closed terminal, a CI timeout) cannot stop its detached children; the next start on the
 * same data directory finds them here and stops them, instead of failing on taken ports or sharing files with
 * them. Only a process still running the recorded program is touched (pids get reused).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isAlive } from '../dev-server-registry';
import { stopLeftoverPostgres } from './postgres';
import { delay } from './process';

export function pidDir(dataDir: string): string {
  return path.join(dataDir, 'pids');
}

export function recordPid(dir: string, name: string, pid: number, command: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${name}.pid`), JSON.stringify({ pid, command }));
}

export function forgetPid(dir: string, name: string, pid: number): void {
  const file = path.join(dir, `${name}.pid`);
  try {
    const recorded = JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown };
    if (recorded.pid === pid) rmSync(file, { force: true });
  } catch {
    // Already gone.
  }
}

/**
 * Everything an earlier cluster on `dataDir` left running: its own children (pid files), PostgreSQL (found by its
 * data directory) and SeaweedFS (its pid file). Returns what was stopped.
 */
export async function stopClusterLeftovers(dataDir: string): Promise<string[]> {
  const stopped = await stopLeftovers(pidDir(dataDir));
  if (await stopLeftoverPostgres(path.join(dataDir, 'postgres'))) stopped.push('PostgreSQL');
  const weedPidFile = path.join(dataDir, 'seaweedfs', 'weed.pid');
  if (existsSync(weedPidFile)) {
    const pid = Number(readFileSync(weedPidFile, 'utf8'));
    if (Number.isInteger(pid) && commandLine(pid)[1] === 'server' && /weed/.test(commandLine(pid)[0] ?? '')) {
      await stopPid(pid);
      stopped.push(`SeaweedFS (pid ${pid})`);
    }
  }
  return stopped;
}

/** Stops (SIGTERM, then SIGKILL) what an earlier cluster on this data directory left running; returns the names. */
export async function stopLeftovers(dir: string): Promise<string[]> {
  let files: string[];
  try {
    files = readdirSync(dir).filter((file) => file.endsWith('.pid'));
  } catch {
    return [];
  }
  const stopped: string[] = [];
  for (const file of files) {
    const name = file.slice(0, -'.pid'.length);
    let recorded: { pid?: unknown; command?: unknown };
    try {
      recorded = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as typeof recorded;
    } catch {
      recorded = {};
    }
    const { pid, command } = recorded;
    if (typeof pid === 'number' && typeof command === 'string' && commandLine(pid)[0] === command) {
      await stopPid(pid);
      stopped.push(`${name} (pid ${pid})`);
    }
    rmSync(path.join(dir, file), { force: true });
  }
  return stopped;
}

async function stopPid(pid: number): Promise<void> {
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 10_000;
  while (isAlive(pid) && Date.now() < deadline) await delay(100);
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}

/** The process's argv, empty when it is gone. */
function commandLine(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
}
