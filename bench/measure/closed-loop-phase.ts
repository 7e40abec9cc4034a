/**
 * A measured closed-loop phase: `count` tasks, `concurrency` in flight, with a progress line, per-task latency,
 * throughput and what every process of the stack spent meanwhile.
 */
import { summarize, type LatencySummary } from './percentiles';
import { runPool } from './pool';
import { ResourceMeter, type MeteredProcess, type ResourceUsage } from './resource-meter';
import { progress } from '../report/progress';

export interface ClosedLoopSummary {
  completed: number;
  failed: number;
  elapsedMs: number;
  perSecond: number;
  latency: LatencySummary;
  resources: ResourceUsage;
  /** A few distinct error messages, for the report. */
  errors: string[];
}

export async function measureClosedLoop<T extends { ms: number }>(options: {
  label: string;
  count: number;
  concurrency: number;
  processes: MeteredProcess[];
  task(index: number): Promise<T>;
  /** Lets the caller sample extra readings (e.g. RSS) while the phase runs. */
  meter?: (meter: ResourceMeter) => void;
}): Promise<{ summary: ClosedLoopSummary; values: T[] }> {
  const meter = new ResourceMeter(options.processes);
  options.meter?.(meter);
  const bar = progress(options.label);
  const pool = await runPool({
    count: options.count,
    concurrency: options.concurrency,
    task: options.task,
    onProgress: (done, failed) => bar.update(`${done}/${options.count} done, ${failed} failed`),
  });
  const resources = await meter.finish();
  const values = pool.results.flatMap((result) => (result.value ? [result.value] : []));
  const errors = pool.results.flatMap((result) => (result.error ? [errorText(result.error)] : []));
  const perSecond = values.length / (pool.elapsedMs / 1000);
  bar.done(
    `${values.length}/${options.count} in ${(pool.elapsedMs / 1000).toFixed(1)} s = ${perSecond.toFixed(1)}/s`,
  );
  return {
    values,
    summary: {
      completed: values.length,
      failed: errors.length,
      elapsedMs: pool.elapsedMs,
      perSecond,
      latency: summarize(values.map((value) => value.ms)),
      resources,
      errors: [...new Set(errors)].slice(0, 5),
    },
  };
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
