/** Every scenario, by the name `--only` uses, with its sizes taken from the options. */
import type { RunContext } from '../infra/run-context';
import type { BenchOptions, ScenarioName } from '../options';
import type { ScenarioResult } from '../report/figures';
import { e2eScenario } from './e2e';
import { startScenario } from './start';
import { streamingScenario } from './streaming';
import { waitingScenario } from './waiting';
import { webhooksScenario } from './webhooks';

type Runner = (context: RunContext, options: BenchOptions) => Promise<ScenarioResult>;

export const SCENARIO_RUNNERS: Record<ScenarioName, Runner> = {
  e2e: (context, { e2e }) =>
    e2eScenario(context, {
      count: e2e.count,
      concurrency: e2e.concurrency,
      documentBytes: e2e.documentKiB * 1024,
      warmup: e2e.warmup,
      timeoutMs: 120_000,
    }),
  webhooks: (context, { webhooks }) =>
    webhooksScenario(context, { rate: webhooks.rate, seconds: webhooks.seconds, targets: webhooks.targets }),
  start: (context, { start }) => startScenario(context, { rate: start.rate, seconds: start.seconds }),
  streaming: (context, { streaming }) =>
    streamingScenario(context, { bytes: Math.round(streaming.megabytes * 1e6), repeats: streaming.repeats }),
  waiting: (context, { waiting, quick }) =>
    waitingScenario(context, {
      count: waiting.count,
      concurrency: waiting.concurrency,
      holdSeconds: quick ? 2 : 20,
      // Generous: ten times slower than the floor's ~20 runs/s before anything counts as stuck.
      finishTimeoutMs: 120_000 + waiting.count * 500,
    }),
};
