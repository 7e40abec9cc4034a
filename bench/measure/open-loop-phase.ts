/** A measured open-loop phase: fixed-rate load with a progress line and every process's resource usage. */
import { progress } from '../report/progress';
import { runOpenLoop, type OpenLoopResult, type SendOutcome } from './open-loop';
import { ResourceMeter, type MeteredProcess, type ResourceUsage } from './resource-meter';

export async function measureOpenLoop(options: {
  label: string;
  ratePerSecond: number;
  seconds: number;
  processes: MeteredProcess[];
  send(index: number): Promise<SendOutcome>;
  /** Seconds of the same load first, unmeasured: JIT, connection pools and caches warm up. */
  warmupSeconds: number;
}): Promise<OpenLoopResult & { resources: ResourceUsage }> {
  let index = 0;
  const send = (): Promise<SendOutcome> => options.send(index++);
  if (options.warmupSeconds > 0) {
    const warmup = progress(`${options.label} (warm-up)`);
    const result = await runOpenLoop({
      ratePerSecond: options.ratePerSecond,
      durationMs: options.warmupSeconds * 1000,
      send,
    });
    warmup.done(`${result.sent} sent, ${result.failed} failed`);
  }
  const meter = new ResourceMeter(options.processes);
  const bar = progress(options.label);
  const result = await runOpenLoop({
    ratePerSecond: options.ratePerSecond,
    durationMs: options.seconds * 1000,
    send,
    onTick: ({ sent, done, failed, total }) =>
      bar.update(`${sent}/${total} sent, ${done} answered, ${failed} failed`),
  });
  const resources = await meter.finish();
  bar.done(
    `${result.sent} sent at ${result.achievedRate.toFixed(1)}/s, ${result.failed} failed, ` +
      `p50 ${result.latency.p50Ms.toFixed(1)} ms, p99 ${result.latency.p99Ms.toFixed(1)} ms`,
  );
  return { ...result, resources };
}
