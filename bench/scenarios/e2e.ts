/**
 * Scenario 1, end to end: N onboardings through the real HTTP API, `concurrency` in flight. Each one: start
 * (POST /v1/onboardings), the customer finishes in the simulator, the simulator's webhooks reach the API and
 * become signals, the worker fetches the results, stores the documents, decides, and the callback reaches the
 * receiver. Baseline: the floor workflow with as many activities and one signal, on a fresh dev server.
 */
import { performance } from 'node:perf_hooks';
import type { Client } from '@temporalio/client';
import { aftercareWorkflowId } from '../../contract';
import { finishFloorRun, floorResult, startFloorRun } from '../floor/floor-client';
import { startFloorStack } from '../floor/floor-stack';
import type { FloorInput } from '../floor/messages';
import type { RunContext } from '../infra/run-context';
import { startServiceStack, type ServiceStack } from '../infra/service-stack';
import { withScope } from '../infra/teardown';
import { median, runShape, type RunShape } from '../measure/histories';
import { measureClosedLoop } from '../measure/closed-loop-phase';
import { cpuMsPerItem } from '../measure/resource-meter';
import { runPool } from '../measure/pool';
import { figure, type ScenarioResult } from '../report/figures';
import { say } from '../report/progress';
import { resourcesTable } from '../report/table';
import { customerIds, startOnboardingFollowingUp } from './onboarding-api';

export interface E2eOptions {
  count: number;
  concurrency: number;
  documentBytes: number;
  /** Unmeasured runs first, so JIT warm-up and connection set-up stay out of the figures. */
  warmup: number;
  /** How long one onboarding may take before it counts as stuck. */
  timeoutMs: number;
}

/** Approved onboardings whose histories are read back (the median of their event counts is reported). */
const SHAPE_SAMPLE = 5;

export async function e2eScenario(context: RunContext, options: E2eOptions): Promise<ScenarioResult> {
  const startedAt = Date.now();
  const service = await withScope('e2e: service', async (scope) => {
    const stack = await startServiceStack(scope, context, { documentBytes: options.documentBytes });
    const nextId = customerIds('e2e');
    const onboard = (customerId: string): Promise<OnboardingDone> =>
      oneOnboarding(stack, customerId, options);
    await runPool({
      count: options.warmup,
      concurrency: options.concurrency,
      task: (i) => onboard(nextId(-1 - i)),
    });

    const phase = await measureClosedLoop({
      label: 'service onboardings',
      count: options.count,
      concurrency: options.concurrency,
      processes: stack.processes(),
      task: (i) => onboard(nextId(i)),
    });
    const { shapes, aftercareShapes } = await approvedRunShapes(stack.client, phase.values);
    const outcomes: Record<string, number> = {};
    for (const { outcome = 'none' } of phase.values) outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    return {
      ...phase.summary,
      shapes,
      aftercareShapes,
      outcomes,
      pendingStarts: countPendingStarts(phase.values),
      badSignatures: stack.callbacks.badSignatures(),
    };
  });
  say(resourcesTable('service', service.resources));

  const floorInput = floorShape(service.shapes);
  const floor = await withScope('e2e: floor', async (scope) => {
    const stack = await startFloorStack(scope, context);
    const run = async (workflowId: string): Promise<{ ms: number; workflowId: string }> => {
      const began = performance.now();
      await startFloorRun(stack.client, workflowId, floorInput);
      await finishFloorRun(stack.client, workflowId);
      await floorResult(stack.client, workflowId);
      return { ms: performance.now() - began, workflowId };
    };
    const nextId = customerIds('floor');
    await runPool({
      count: options.warmup,
      concurrency: options.concurrency,
      task: (i) => run(nextId(-1 - i)),
    });
    const phase = await measureClosedLoop({
      label: 'floor runs',
      count: options.count,
      concurrency: options.concurrency,
      processes: stack.processes(),
      task: (i) => run(nextId(i)),
    });
    const sample = phase.values.slice(0, SHAPE_SAMPLE).map((value) => value.workflowId);
    return { ...phase.summary, shapes: await Promise.all(sample.map((id) => runShape(stack.client, id))) };
  });
  say(resourcesTable('floor', floor.resources));

  const approved = service.outcomes.approved ?? 0;
  // A separate workflow with no counterpart in the floor: printed and kept in the details, not a figure.
  const aftercareEvents = median(service.aftercareShapes.map((shape) => shape.events));
  say(
    `  history events of the customers' aftercare runs (aftercare-<customerId>, not counted above): median ${aftercareEvents} of ${service.aftercareShapes.length}`,
  );
  return {
    name: 'e2e',
    title: 'End to end through the HTTP API',
    params: {
      onboardings: options.count,
      inFlight: options.concurrency,
      documentBytes: options.documentBytes,
      warmup: options.warmup,
    },
    figures: [
      figure(
        'throughput',
        'onboardings/s',
        service.perSecond,
        floor.perSecond,
        'floor workflow, fresh dev server',
        { text: '≥ 0.8× floor', met: (_value, ratio) => ratio !== null && ratio >= 0.8 },
      ),
      figure(
        'CPU per onboarding (API + worker + dev server)',
        'core-ms',
        cpuMsPerItem(service.resources, ['api', 'worker', 'temporal'], service.completed),
        cpuMsPerItem(floor.resources, ['floor-worker', 'temporal'], floor.completed),
        'floor workflow (worker + dev server)',
        { text: '≤ 1.25× floor', met: (_value, ratio) => ratio !== null && ratio <= 1.25 },
      ),
      figure(
        'history events per approved onboarding (median)',
        'events',
        median(service.shapes.map((shape) => shape.events)),
        median(floor.shapes.map((shape) => shape.events)),
        'floor workflow run',
        { text: '≤ 1.3× floor', met: (_value, ratio) => ratio !== null && ratio <= 1.3 },
      ),
      figure(
        'latency p50',
        'ms',
        service.latency.p50Ms,
        floor.latency.p50Ms,
        'floor workflow, fresh dev server',
      ),
      figure(
        'latency p95',
        'ms',
        service.latency.p95Ms,
        floor.latency.p95Ms,
        'floor workflow, fresh dev server',
      ),
    ],
    checks: {
      onboardings: options.count,
      completed: service.completed,
      approved,
      failed: service.failed,
      badCallbackSignatures: service.badSignatures,
      startsAnswered202: service.pendingStarts,
      floorCompleted: floor.completed,
    },
    resources: { service: service.resources, floor: floor.resources },
    details: {
      serviceRunShape: service.shapes,
      aftercareRunShape: service.aftercareShapes,
      floorInput,
      floorRunShape: floor.shapes,
      outcomes: service.outcomes,
      service: { latency: service.latency, elapsedMs: service.elapsedMs, errors: service.errors },
      floor: { latency: floor.latency, elapsedMs: floor.elapsedMs, errors: floor.errors },
    },
    durationMs: Date.now() - startedAt,
  };
}

/** What one customer's onboarding goes through: the API, the simulator's control and the callback receiver. */
export type OnboardingPath = Pick<ServiceStack, 'http' | 'control' | 'callbacks'>;

export interface OnboardingDone {
  ms: number;
  outcome?: string;
  /** 202 answers (start wait ran out) before the start answered with the customer URL. */
  pendingStarts: number;
  customerId: string;
  workflowId: string;
}

/** One customer end to end: started through the API, approved in the simulator, its callback received. */
export async function oneOnboarding(
  path: OnboardingPath,
  customerId: string,
  options: { documentBytes: number; timeoutMs: number },
): Promise<OnboardingDone> {
  const began = performance.now();
  const { started, pendingAnswers } = await startOnboardingFollowingUp(
    path.http,
    customerId,
    options.timeoutMs,
  );
  await path.control.complete(started.idvId, { outcome: 'approved', documentBytes: options.documentBytes });
  const callback = await path.callbacks.waitFor(customerId, options.timeoutMs);
  return {
    ms: performance.now() - began,
    outcome: callback.outcome,
    pendingStarts: pendingAnswers,
    customerId,
    workflowId: started.workflowId,
  };
}

/**
 * Shapes of a sample of approved onboardings (their own runs only) and, apart, of the aftercare runs those
 * customers handed over to: a separate workflow whose history is not the onboarding's.
 */
export async function approvedRunShapes(
  client: Client,
  done: OnboardingDone[],
): Promise<{ shapes: RunShape[]; aftercareShapes: RunShape[] }> {
  const sample = done.filter((value) => value.outcome === 'approved').slice(0, SHAPE_SAMPLE);
  const shapes = await Promise.all(sample.map((value) => runShape(client, value.workflowId)));
  const aftercare = await Promise.all(
    sample.map((value) => runShape(client, aftercareWorkflowId(value.customerId)).catch(() => undefined)),
  );
  return { shapes, aftercareShapes: aftercare.filter((shape) => shape !== undefined) };
}

/** The floor gets the service's shape: as many activities, split the same way around the one signal. */
function floorShape(shapes: RunShape[]): FloorInput {
  const activities = Math.max(2, median(shapes.map((shape) => shape.activities)) || 8);
  const before = Math.min(
    activities - 1,
    Math.max(1, median(shapes.map((shape) => shape.activitiesBeforeFirstSignal)) || 2),
  );
  return { activitiesBeforeSignal: before, activitiesAfterSignal: activities - before };
}

/** Onboardings whose start answered 202 at least once (the API's start wait ran out) before the URL came. */
export function countPendingStarts(done: OnboardingDone[]): number {
  return done.filter((value) => value.pendingStarts > 0).length;
}
