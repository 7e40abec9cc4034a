/** Event-loop delay of the benchmark process itself: a busy generator would distort what it measures. */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { LoopDelay } from './resource-meter';

const histogram = monitorEventLoopDelay({ resolution: 5 });
histogram.enable();

export async function ownLoopDelay(): Promise<LoopDelay> {
  const reading = {
    p50Ms: Math.round(histogram.percentile(50) / 1e5) / 10,
    p99Ms: Math.round(histogram.percentile(99) / 1e5) / 10,
    maxMs: Math.round(histogram.max / 1e5) / 10,
  };
  histogram.reset();
  return reading;
}
