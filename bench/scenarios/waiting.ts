/**
 * Scenario 5, waiting at scale: N onboardings (10,000 by default) started through the API and left waiting
 * for their customers at once; the worker's and the dev server's RSS while they wait; then every customer
 * finishes, `concurrency` at a time (each one: the customer completes, webhooks, documents, decision,
 * callback), with the other runs still waiting, until every run has completed. Polling is once a day, so only
 * webhooks move the runs. Baseline: N floor runs on a fresh dev server, started by update-with-start at the
 * same concurrency, then signalled and awaited at the same concurrency.
 *
 * Customers finish at a paced rate rather than all at once: a burst of N completions (3N webhooks) overloads a
 * two-core dev server, the API then answers 503 and the simulator redelivers on Ondato's real schedule (10 s,
 * 30 s, 1 min, 5 min…), which measures the retry schedule rather than the service.
 */
import { performance } from 'node:perf_hooks';
import type { Client } from '@temporalio/client';
import { finishFloorRun, floorResult, startFloorRun } from '../floor/floor-client';
import { startFloorStack } from '../floor/floor-stack';
import { FLOOR_WORKFLOW_TYPE, ONBOARDING_SHAPE } from '../floor/messages';
import { ONBOARDING_WORKFLOW_TYPE } from '../../contract';
import type { RunContext } from '../infra/run-context';
import { startServiceStack } from '../infra/service-stack';
import { withScope } from '../infra/teardown';
import { measureClosedLoop, type ClosedLoopSummary } from '../measure/closed-loop-phase';
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
  /** How long one customer's run may take to finish before it counts as stuck. */
  finishTimeoutMs: number;
}

interface StackRun {
  start: ClosedLoopSummary;
  waiting: ResourceUsage;
  finish: ClosedLoopSummary;
  /** Runs running (visibility) at the end of the hold: all of them, or RSS was not read at full size. */
  runningWhileHeld: number;
  /** Runs still running once every customer has finished (read from visibility). */
  stillRunning: number;
  /** The name of the worker process in the resource readings. */
  workerName: string;
}

const DOCUMENT_BYTES = 16 * 1024;
const VISIBILITY_GRACE_MS = 30_000;

export async function waitingScenario(context: RunContext, options: WaitingOptions): Promise<ScenarioResult> {
  const startedAt = Date.now();
  let callbacks = 0;
  const service = await withScope('waiting: service', async (scope): Promise<StackRun> => {
    const stack = await startServiceStack(scope, context, { documentBytes: DOCUMENT_BYTES });
    const nextId = customerIds('wait');
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
    const runningWhileHeld = await runningNow(stack.client, ONBOARDING_WORKFLOW_TYPE);
    say(resourcesTable(`waiting (${runningWhileHeld} running)`, waiting));

    const runs = started.values;
    const finish = await measureClosedLoop({
      label: 'customers finishing',
      count: runs.length,
      concurrency: options.concurrency,
      processes: stack.processes(),
      task: async (index) => {
        const began = performance.now();
        await stack.control.complete(runs[index].idvId, {
          outcome: 'approved',
          documentBytes: DOCUMENT_BYTES,
        });
        await stack.callbacks.waitFor(runs[index].customerId, options.finishTimeoutMs);
        return { ms: performance.now() - began };
      },
    });
    say(resourcesTable('finishing', finish.summary.resources));
    callbacks = stack.callbacks.count();
    const stillRunning = await runningCount(stack.client, ONBOARDING_WORKFLOW_TYPE);
    return {
      start: started.summary,
      waiting,
      finish: finish.summary,
      runningWhileHeld,
      stillRunning,
      workerName: 'worker',
    };
  });

  const floor = await withScope('waiting: floor', async (scope): Promise<StackRun> => {
    const stack = await startFloorStack(scope, context);
    const nextId = customerIds('floor-wait');
    const started = await measureClosedLoop({
      label: `starting ${options.count} floor runs`,
      count: options.count,
      concurrency: options.concurrency,
      processes: stack.processes(),
      task: async (index) => {
        const began = performance.now();
        const workflowId = nextId(index);
        await startFloorRun(stack.client, workflowId, ONBOARDING_SHAPE);
        return { ms: performance.now() - began, workflowId };
      },
    });
    // Floor runs have one no-op activity left once their link is out: a moment is enough.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const waiting = await hold(options.holdSeconds, stack.processes());
    const runningWhileHeld = await runningNow(stack.client, FLOOR_WORKFLOW_TYPE);
    say(resourcesTable(`floor waiting (${runningWhileHeld} running)`, waiting));
    const runs = started.values;
    const finish = await measureClosedLoop({
      label: 'floor runs finishing',
      count: runs.length,
      concurrency: options.concurrency,
      processes: stack.processes(),
      task: async (index) => {
        const began = performance.now();
        await finishFloorRun(stack.client, runs[index].workflowId);
        await floorResult(stack.client, runs[index].workflowId);
        return { ms: performance.now() - began };
      },
    });
    say(resourcesTable('floor finishing', finish.summary.resources));
    const stillRunning = await runningCount(stack.client, FLOOR_WORKFLOW_TYPE);
    return {
      start: started.summary,
      waiting,
      finish: finish.summary,
      runningWhileHeld,
      stillRunning,
      workerName: 'floor-worker',
    };
  });

  const rss = (usage: ResourceUsage, name: string): number => usage.processes[name]?.rssPeakMiB ?? Number.NaN;
  const label = 'floor runs, fresh dev server';
  return {
    name: 'waiting',
    title: 'Onboardings waiting at scale',
    params: {
      onboardings: options.count,
      concurrency: options.concurrency,
      holdSeconds: options.holdSeconds,
      workerNodeOptions: context.workerNodeOptions ?? '',
    },
    figures: [
      figure(
        'sustainable start rate',
        'onboardings/s',
        service.start.perSecond,
        floor.start.perSecond,
        label,
        { text: '≥ 0.8× floor', met: (_value, ratio) => ratio !== null && ratio >= 0.8 },
      ),
      figure(
        'worker RSS while waiting',
        'MiB',
        rss(service.waiting, service.workerName),
        rss(floor.waiting, floor.workerName),
        label,
        {
          // Only a reading with every run open counts: fewer would understate the memory.
          text: `≤ 500 MB (477 MiB), all ${options.count} open`,
          met: (value) => service.runningWhileHeld >= options.count && value * 2 ** 20 <= 500e6,
        },
      ),
      figure(
        'dev server RSS while waiting',
        'MiB',
        rss(service.waiting, 'temporal'),
        rss(floor.waiting, 'temporal'),
        label,
      ),
      figure(
        'worker RSS peak while finishing',
        'MiB',
        rss(service.finish.resources, service.workerName),
        rss(floor.finish.resources, floor.workerName),
        label,
      ),
      figure(
        'time to finish all',
        's',
        service.finish.elapsedMs / 1000,
        floor.finish.elapsedMs / 1000,
        label,
        { text: '≤ 1.2× floor', met: (_value, ratio) => ratio !== null && ratio <= 1.2 },
      ),
      figure('finish rate', 'onboardings/s', service.finish.perSecond, floor.finish.perSecond, label),
      figure('stuck (not finished)', 'runs', stuck(service), stuck(floor), label, {
        text: '= 0',
        met: (value) => value === 0,
      }),
    ],
    checks: {
      onboardings: options.count,
      started: service.start.completed,
      startFailures: service.start.failed,
      runningWhileHeld: service.runningWhileHeld,
      floorRunningWhileHeld: floor.runningWhileHeld,
      finished: service.finish.completed,
      callbacks,
      stillRunning: service.stillRunning,
      floorStillRunning: floor.stillRunning,
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
      serviceFinishLatency: service.finish.latency,
      floorFinishLatency: floor.finish.latency,
      serviceErrors: [...service.start.errors, ...service.finish.errors],
      floorErrors: [...floor.start.errors, ...floor.finish.errors],
    },
    durationMs: Date.now() - startedAt,
  };
}

/** Started runs that did not finish (in time, or at all according to visibility). */
function stuck(run: StackRun): number {
  return Math.max(run.start.completed - run.finish.completed, run.stillRunning);
}

/** Leaves the runs alone for a while, reading every process's RSS. */
async function hold(seconds: number, processes: MeteredProcess[]): Promise<ResourceUsage> {
  const meter = new ResourceMeter(processes);
  const bar = progress('holding while the runs wait');
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
 * Runs of `workflowType` running now according to visibility: read at the end of the hold, it shows the RSS
 * was read with every run started and open (the figure is measured at full size, not extrapolated).
 */
async function runningNow(client: Client, workflowType: string): Promise<number> {
  const answer = await client.workflow.count(
    `ExecutionStatus = "Running" AND WorkflowType = "${workflowType}"`,
  );
  return answer.count;
}

/**
 * Runs of `workflowType` still running. Of one type only: each closed onboarding hands over to the customer's
 * long-lived aftercare run, which stays running by design.
 */
async function runningCount(client: Client, workflowType: string): Promise<number> {
  const deadline = Date.now() + VISIBILITY_GRACE_MS;
  for (;;) {
    const count = await client.workflow
      .count(`ExecutionStatus = "Running" AND WorkflowType = "${workflowType}"`)
      .then(
        (answer) => answer.count,
        (error: unknown) => {
          if (Date.now() > deadline) throw error;
          return undefined;
        },
      );
    if (count === 0 || (count !== undefined && Date.now() > deadline)) return count;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
