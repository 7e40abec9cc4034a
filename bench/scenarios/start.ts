/**
 * Scenario 3, start: POST /v1/onboardings at a fixed rate for new customers, each answer carrying the customer
 * URL (so it includes creating the Ondato verification). Baseline: update-with-start of the floor workflow at
 * the same rate on a fresh dev server, answered after its first activity.
 */
import type { RunContext } from '../infra/run-context';
import { startFloorRun } from '../floor/floor-client';
import { startFloorStack } from '../floor/floor-stack';
import { ONBOARDING_SHAPE } from '../floor/messages';
import { startServiceStack } from '../infra/service-stack';
import { withScope } from '../infra/teardown';
import type { SendOutcome } from '../measure/open-loop';
import { measureOpenLoop } from '../measure/open-loop-phase';
import { figure, type ScenarioResult } from '../report/figures';
import { say } from '../report/progress';
import { resourcesTable } from '../report/table';
import { customerIds, OnboardingStartError, startOnboarding } from './onboarding-api';

export interface StartOptions {
  rate: number;
  seconds: number;
  /** Unmeasured seconds of the same load before the measured ones. */
  warmupSeconds: number;
}

export async function startScenario(context: RunContext, options: StartOptions): Promise<ScenarioResult> {
  const startedAt = Date.now();
  const service = await withScope('start: service', async (scope) => {
    const stack = await startServiceStack(scope, context, { documentBytes: 64 * 1024 });
    const nextId = customerIds('start');
    return measureOpenLoop({
      label: `POST /v1/onboardings at ${options.rate}/s`,
      ratePerSecond: options.rate,
      seconds: options.seconds,
      warmupSeconds: options.warmupSeconds,
      processes: stack.processes(),
      send: async (index): Promise<SendOutcome> => {
        try {
          await startOnboarding(stack.http, nextId(index));
          return { ok: true };
        } catch (error) {
          if (error instanceof OnboardingStartError) return { ok: false, failure: `HTTP ${error.status}` };
          throw error;
        }
      },
    });
  });
  say(resourcesTable('service', service.resources));

  const floor = await withScope('start: floor', async (scope) => {
    const stack = await startFloorStack(scope, context);
    const nextId = customerIds('floor-start');
    return measureOpenLoop({
      label: `floor update-with-start at ${options.rate}/s`,
      ratePerSecond: options.rate,
      seconds: options.seconds,
      warmupSeconds: options.warmupSeconds,
      processes: stack.processes(),
      send: async (index): Promise<SendOutcome> => {
        await startFloorRun(stack.client, nextId(index), ONBOARDING_SHAPE);
        return { ok: true };
      },
    });
  });
  say(resourcesTable('floor', floor.resources));

  const baselineLabel = 'floor update-with-start, same rate';
  const { resources: serviceResources, ...serviceRest } = service;
  const { resources: floorResources, ...floorRest } = floor;
  return {
    name: 'start',
    title: 'Starting onboardings at a fixed rate',
    params: { ratePerSecond: options.rate, seconds: options.seconds },
    figures: [
      figure('latency p50', 'ms', service.latency.p50Ms, floor.latency.p50Ms, baselineLabel),
      figure('latency p95', 'ms', service.latency.p95Ms, floor.latency.p95Ms, baselineLabel),
      figure('latency p99', 'ms', service.latency.p99Ms, floor.latency.p99Ms, baselineLabel, {
        text: '≤ 1.2× floor',
        met: (_value, ratio) => ratio !== null && ratio <= 1.2,
      }),
      figure('latency max', 'ms', service.latency.maxMs, floor.latency.maxMs, baselineLabel),
      figure('errors', 'requests', service.failed, floor.failed, baselineLabel),
    ],
    checks: {
      sent: service.sent,
      started: service.succeeded,
      errors: service.failed,
      baselineErrors: floor.failed,
    },
    resources: { service: serviceResources, floor: floorResources },
    details: { service: serviceRest, floor: floorRest },
    durationMs: Date.now() - startedAt,
  };
}
