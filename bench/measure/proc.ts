/** Reads what Linux says about a process (RSS, CPU time) and about the machine, from /proc. */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (`getconf CLK_TCK`); 100 on every Linux we run on. */
const CLOCK_TICKS_PER_SECOND = 100;

/** Resident set size in bytes, or undefined when the process is gone. */
export function residentBytes(pid: number): number | undefined {
  return statusField(pid, 'VmRSS');
}

/** The process's peak resident set size since it started, in bytes. */
export function peakResidentBytes(pid: number): number | undefined {
  return statusField(pid, 'VmHWM');
}

function statusField(pid: number, field: string): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(
      readFileSync(`/proc/${pid}/status`, 'utf8'),
    );
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** User + system CPU seconds the process has used so far. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: the fields that matter come after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds of a process and its direct children (PostgreSQL's backends are children of the postmaster:
 * their CPU only reaches the postmaster's own figures when they exit).
 */
export function cpuSecondsWithChildren(pid: number): number | undefined {
  const stat = safeRead(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  // Its own time plus its exited children's (cutime, cstime): a backend that exits moves from one sum to the other.
  const ownFields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const own = ownFields.slice(11, 15).reduce((sum, field) => sum + Number(field), 0) / CLOCK_TICKS_PER_SECOND;
  let children = 0;
  for (const entry of safeReaddir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === pid) continue;
    const childStat = safeRead(`/proc/${entry}/stat`);
    if (!childStat) continue;
    const fields = childStat.slice(childStat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[1]) === pid)
      children += (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  }
  return own + children;
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function safeRead(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Busy and total jiffies of all CPUs together, for machine-wide utilisation over an interval. */
export function machineCpuTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = values[3] + (values[4] ?? 0);
  const total = values.reduce((sum, value) => sum + value, 0);
  return { busy: total - idle, total };
}

export function mib(bytes: number | undefined): number {
  return bytes === undefined ? Number.NaN : bytes / (1024 * 1024);
}
