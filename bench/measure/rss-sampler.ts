/** Samples one process's RSS at a fixed interval (from /proc, so the process itself is not disturbed). */
import { residentBytes } from './proc';

export interface RssSampler {
  /** Highest RSS seen so far, in bytes. */
  peak(): number;
  samples(): number;
  stop(): void;
}

export function sampleRss(pid: number, intervalMs = 20): RssSampler {
  let peak = residentBytes(pid) ?? 0;
  let samples = 1;
  const timer = setInterval(() => {
    const rss = residentBytes(pid);
    if (rss === undefined) return;
    samples += 1;
    if (rss > peak) peak = rss;
  }, intervalMs);
  return {
    peak: () => peak,
    samples: () => samples,
    stop: () => clearInterval(timer),
  };
}

/** A steady reading: the median of a few samples a little apart. */
export async function steadyRss(pid: number, count = 5, intervalMs = 20): Promise<number> {
  const readings: number[] = [];
  for (let i = 0; i < count; i += 1) {
    readings.push(residentBytes(pid) ?? Number.NaN);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  readings.sort((a, b) => a - b);
  return readings[Math.floor(readings.length / 2)];
}
