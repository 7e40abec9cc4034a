/**
 * Scenario 5, waiting at scale: N onboardings (10,000 by default) started through the API and left waiting
 * for their customers at once; the worker's and the dev server's RSS while they wait; then every customer
 * finishes (as fast as the simulator's control API takes them) and the time until every run has completed.
 * Polling is once a day, so only the webhooks move the runs. Baseline: N floor runs on a fresh dev server,
 * started by update-with-start at the same concurrency, then all signalled.
 */
import { performance } from 'node:perf_hooks';
import type { Client } from '@temporalio/client';
import { finishFloorRun, startFloorRun } from '../floor/floor-client';
import { startFloorStack } from '../floor/floor-stack';
import { ONBOARDING_SHAPE } from '../floor/messages';
import type { RunContext } from '../infra/run-context';
import { startServiceStack } from '../infra/service-stack';
import { withScope } from '../infra/teardown';
import { measureClosedLoop, type ClosedLoopSummary } from '../measure/closed-loop-phase';
import { runPool } from '../measure/pool';
import { ResourceMeter, type MeteredProcess, type ResourceUsage } from '../measure/resource-meter';
import { figure, type ScenarioResult } from '../report/figures';
import { progress, say } from '../report/progress';
import { resourcesTable } from '../report/table';
import { customerIds, startOnboarding } from './onboarding-api';
import { waitForQuiet } from './quiet';

export interface WaitingOptions {
  count: number;
  concurrency: number;
  /** How long the runs are left waiting while RSS is read. */
  holdSeconds: number;
  /** How long finishing may take before the rest counts as stuck. */
  finishTimeoutMs: number;
}

interface StackRun {
  start: ClosedLoopSummary;
  waiting: ResourceUsage;
  finish: { seconds: number; perSecond: number; stillRunning: number; resources: ResourceUsage };
  /** The name of the worker process in the resource readings. */
  workerName: string;
}

export async function waitingScenario(context: RunContext, options: WaitingOptions): Promise<ScenarioResult> {
  const startedAt = Date.now();
  let callbacks = 0;
  const service = await withScope('waiting: service', async (scope): Promise<StackRun> => {
    const stack = await startServiceStack(scope, context, { documentBytes: 16 * 1024 });
    const nextId = customerIds('wait');
    const client = stack.devServer.client;
    const started = await measureClosedLoop({
      label: `starting ${options.count} onboardings`,
      count: options.count,
      concurrency: options.concurrency,
      processes: stack.processes(),
      task: async (index) => {
        const began = performance.now();
        const onboarding = await startOnboarding(stack.http, nextId(index));
        return { ms: performance.now() - began, ...onboarding };
      },
    });
    say(resourcesTable('starting', started.summary.resources));
    await waitForQuiet(stack.control);
    const waiting = await hold(options.holdSeconds, stack.processes());
    say(resourcesTable('waiting', waiting));

    const finish = await finishAll({
      label: 'customers finishing',
      count: started.values.length,
      concurrency: options.concurrency,
      timeoutMs: options.finishTimeoutMs,
      client,
      processes: stack.processes(),
      finishOne: async (index) => {
        await stack.control.complete(started.values[index].idvId, { outcome: 'approved', documentBytes: 16 * 1024 });
      },
    });
    callbacks = stack.callbacks.count();
    say(resourcesTable('finishing', finish.resources));
    return { start: started.summary, waiting, finish, workerName: 'worker' };
  });

  const floor = await withScope('waiting: floor', async (scope): Promise<StackRun> => {
    const stack = await startFloorStack(scope, context);
    const nextId = customerIds('floor-wait');
    const ids: string[] = [];
    const started = await measureClosedLoop({
      label: `starting ${options.count} floor runs`,
      count: options.count,
      concurrency: options.concurrency,
      processes: stack.processes(),
      task: async (index) => {
        const began = performance.now();
        ids[index] = nextId(index);
        await startFloorRun(stack.client, ids[index], ONBOARDING_SHAPE);
        return { ms: performance.now() - began };
      },
    });
    await settle();
    const waiting = await hold(options.holdSeconds, stack.processes());
    say(resourcesTable('floor waiting', waiting));
    const finish = await finishAll({
      label: 'floor runs finishing',
      count: ids.length,
      concurrency: options.concurrency,
      timeoutMs: options.finishTimeoutMs,
      client: stack.client,
      processes: stack.processes(),
      finishOne: (index) => finishFloorRun(stack.client, ids[index]),
    });
    return { start: started.summary, waiting, finish, workerName: 'floor-worker' };
  });

  const workerRss = (run: StackRun): number => run.waiting.processes[run.workerName]?.rssPeakMiB ?? Number.NaN;
  const serverRss = (run: StackRun): number => run.waiting.processes.temporal?.rssPeakMiB ?? Number.NaN;
  const label = 'floor runs, fresh dev server';
  return {
    name: 'waiting',
    title: 'Onboardings waiting at scale',
    params: { onboardings: options.count, concurrency: options.concurrency, holdSeconds: options.holdSeconds },
    figures: [
      figure('start rate', 'onboardings/s', service.start.perSecond, floor.start.perSecond, label),
      figure('worker RSS while waiting', 'MiB', workerRss(service), workerRss(floor), label, {
        text: '≤ 500 MB',
        met: (value) => value * 1.048576 <= 500,
      }),
      figure('dev server RSS while waiting', 'MiB', serverRss(service), serverRss(floor), label),
      figure('time to finish all', 's', service.finish.seconds, floor.finish.seconds, label),
      figure('finish rate', 'onboardings/s', service.finish.perSecond, floor.finish.perSecond, label),
      figure('stuck (still running)', 'runs', service.finish.stillRunning, floor.finish.stillRunning, label, {
        text: '= 0',
        met: (value) => value === 0,
      }),
    ],
    checks: {
      onboardings: options.count,
      started: service.start.completed,
      startFailures: service.start.failed,
      callbacks,
      stillRunning: service.finish.stillRunning,
      floorStillRunning: floor.finish.stillRunning,
    },
    resources: {
      serviceStarting: service.start.resources,
      serviceWaiting: service.waiting,
      serviceFinishing: service.finish.resources,
      floorStarting: floor.start.resources,
      floorWaiting: floor.waiting,
      floorFinishing: floor.finish.resources,
    },
    details: {
      serviceStartLatency: service.start.latency,
      floorStartLatency: floor.start.latency,
      serviceErrors: service.start.errors,
    },
    durationMs: Date.now() - startedAt,
  };
}

/** Leaves the runs alone for a while, reading every process's RSS. */
async function hold(seconds: number, processes: MeteredProcess[]): Promise<ResourceUsage> {
  const meter = new ResourceMeter(processes);
  const bar = progress(`holding while ${processes.length} processes are watched`);
  const until = Date.now() + seconds * 1000;
  while (Date.now() < until) {
    bar.update(`${Math.ceil((until - Date.now()) / 1000)} s left`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const usage = await meter.finish();
  bar.done(`${seconds} s`);
  return usage;
}

/**
 * Every customer finishes (as fast as `concurrency` parallel calls go), then the time until no run is left
 * running, read from visibility.
 */
async function finishAll(options: {
  label: string;
  count: number;
  concurrency: number;
  timeoutMs: number;
  client: Client;
  processes: MeteredProcess[];
  finishOne(index: number): Promise<void>;
}): Promise<StackRun['finish']> {
  const meter = new ResourceMeter(options.processes);
  const bar = progress(options.label);
  const began = Date.now();
  const finishing = runPool({
    count: options.count,
    concurrency: options.concurrency,
    task: options.finishOne,
    onProgress: (done) => bar.update(`${done}/${options.count} customers finished`),
  });
  const pool = await finishing;
  const failures = pool.results.filter((result) => result.error).length;
  if (failures > 0) say(`  ${failures} customers could not finish (simulator control API)`);

  let running = await runningCount(options.client);
  const deadline = began + options.timeoutMs;
  while (running > 0 && Date.now() < deadline) {
    bar.update(`${options.count - running}/${options.count} runs completed`);
    await new Promise((resolve) => setTimeout(resolve, 250));
    running = await runningCount(options.client);
  }
  const seconds = (Date.now() - began) / 1000;
  const resources = await meter.finish();
  bar.done(`${options.count - running}/${options.count} completed in ${seconds.toFixed(1)} s, ${running} still running`);
  return { seconds, perSecond: (options.count - running) / seconds, stillRunning: running, resources };
}

async function runningCount(client: Client): Promise<number> {
  const { count } = await client.workflow.count('ExecutionStatus = "Running"');
  return count;
}

/** Floor runs have one activity left once their link is out (no simulator to watch): a moment is enough. */
async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 2_000));
}
