/**
 * What each process of a stack costs over a phase: CPU (in % of one core), RSS (peak and last, sampled every
 * second), event-loop delay for the Node services that report it, and the machine's overall utilisation. This is
 * the first look when a goal is missed: which process is busy, and is the machine out of CPU?
 */
import { availableParallelism } from 'node:os';
import { cpuSeconds, cpuSecondsWithChildren, machineCpuTicks, mib, residentBytes } from './proc';

export interface LoopDelay {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface MeteredProcess {
  name: string;
  pid: number;
  /** Event-loop delay since the last call, for processes that can report it. */
  loopDelay?(): Promise<LoopDelay | undefined>;
  /** Count its direct children's CPU too (PostgreSQL: one backend process per connection). */
  withChildren?: boolean;
}

export interface ProcessUsage {
  pid: number;
  cpuPercent: number;
  rssPeakMiB: number;
  rssLastMiB: number;
  loopDelay?: LoopDelay;
}

export interface ResourceUsage {
  seconds: number;
  /** Busy share of all cores, 0–100. */
  machineCpuPercent: number;
  cores: number;
  /**
   * CPU used by processes outside the stack (1 core = 100 %): other work on the machine competing with the
   * benchmark, which makes its figures worse than they would be on a quiet machine.
   */
  otherCpuPercent: number;
  processes: Record<string, ProcessUsage>;
}

const SAMPLE_INTERVAL_MS = 1_000;

export class ResourceMeter {
  private readonly startedAt = Date.now();
  private readonly machineStart = machineCpuTicks();
  private readonly cpuStart = new Map<string, number>();
  private readonly rssPeak = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly processes: MeteredProcess[]) {
    for (const proc of processes) this.cpuStart.set(proc.name, this.cpuOf(proc) ?? 0);
    // Read and discard, so the figure covers this phase only.
    for (const proc of processes) void proc.loopDelay?.();
    this.sampleRss();
    this.timer = setInterval(() => this.sampleRss(), SAMPLE_INTERVAL_MS);
    this.timer.unref();
  }

  /** Peak RSS of one process so far in this phase, in MiB. */
  peakMiB(name: string): number {
    return mib(this.rssPeak.get(name));
  }

  async finish(): Promise<ResourceUsage> {
    clearInterval(this.timer);
    this.sampleRss();
    const seconds = (Date.now() - this.startedAt) / 1000;
    const machineEnd = machineCpuTicks();
    const busy = machineEnd.busy - this.machineStart.busy;
    const total = machineEnd.total - this.machineStart.total;
    const processes: Record<string, ProcessUsage> = {};
    for (const proc of this.processes) {
      const cpu = (this.cpuOf(proc) ?? Number.NaN) - (this.cpuStart.get(proc.name) ?? 0);
      processes[proc.name] = {
        pid: proc.pid,
        cpuPercent: round((cpu / seconds) * 100),
        rssPeakMiB: round(mib(this.rssPeak.get(proc.name))),
        rssLastMiB: round(mib(residentBytes(proc.pid))),
        loopDelay: await proc.loopDelay?.().catch(() => undefined),
      };
    }
    const machineCpuPercent = total > 0 ? (busy / total) * 100 : Number.NaN;
    const cores = availableParallelism();
    const stackCpu = Object.values(processes).reduce((sum, usage) => sum + (usage.cpuPercent || 0), 0);
    return {
      seconds: round(seconds),
      machineCpuPercent: round(machineCpuPercent),
      cores,
      otherCpuPercent: round(Math.max(0, machineCpuPercent * cores - stackCpu)),
      processes,
    };
  }

  private cpuOf(proc: MeteredProcess): number | undefined {
    if (proc.pid === process.pid) {
      const usage = process.cpuUsage();
      return (usage.user + usage.system) / 1e6;
    }
    return proc.withChildren ? cpuSecondsWithChildren(proc.pid) : cpuSeconds(proc.pid);
  }

  private sampleRss(): void {
    for (const proc of this.processes) {
      const rss = residentBytes(proc.pid);
      if (rss !== undefined && rss > (this.rssPeak.get(proc.name) ?? 0)) this.rssPeak.set(proc.name, rss);
    }
  }
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

/**
 * CPU the named processes spent per unit of work, in core-milliseconds: on a CPU-bound machine this is what
 * sets throughput, and unlike throughput it barely moves when other work competes for the machine.
 */
export function cpuMsPerItem(usage: ResourceUsage, names: string[], items: number): number {
  const percent = names.reduce((sum, name) => sum + (usage.processes[name]?.cpuPercent ?? 0), 0);
  return items > 0 ? ((percent / 100) * usage.seconds * 1000) / items : Number.NaN;
}
