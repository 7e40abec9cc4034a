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
  webhooks: (context, { webhooks }) => webhooksScenario(context, webhooks),
  start: (context, { start }) => startScenario(context, start),
  streaming: (context, { streaming }) =>
    streamingScenario(context, { bytes: Math.round(streaming.megabytes * 1e6), repeats: streaming.repeats }),
  waiting: (context, { waiting, quick }) =>
    waitingScenario(context, {
      count: waiting.count,
      concurrency: waiting.concurrency,
      holdSeconds: quick ? 1 : 20,
      finishTimeoutMs: 600_000,
    }),
};
