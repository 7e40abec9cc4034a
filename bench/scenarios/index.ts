/** Every scenario, by the name `--only` uses, with its sizes taken from the options. */
import type { RunContext } from '../infra/run-context';
import type { BenchOptions, ScenarioName } from '../options';
import type { ScenarioResult } from '../report/figures';
import { clusterScenario, type DevServerBaseline } from './cluster';
import { e2eScenario } from './e2e';
import { startScenario } from './start';
import { streamingScenario } from './streaming';
import { waitingScenario } from './waiting';
import { webhooksScenario } from './webhooks';

/** `earlier`: the results of the scenarios that ran before it in this run (the cluster compares with e2e's). */
type Runner = (
  context: RunContext,
  options: BenchOptions,
  earlier: readonly ScenarioResult[],
) => Promise<ScenarioResult>;

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
  cluster: (context, { cluster, e2e }, earlier) =>
    clusterScenario(
      context,
      {
        count: cluster.count,
        concurrency: cluster.concurrency,
        documentBytes: cluster.documentKiB * 1024,
        warmup: cluster.warmup,
        timeoutMs: 120_000,
      },
      devServerBaseline(earlier, e2e),
    ),
};

/** The dev-server e2e figures of this run, if e2e ran (and did not fail) before the cluster. */
function devServerBaseline(
  earlier: readonly ScenarioResult[],
  e2e: BenchOptions['e2e'],
): DevServerBaseline | undefined {
  const result = earlier.find((item) => item.name === 'e2e' && !item.error);
  if (!result) return undefined;
  return {
    values: new Map(result.figures.map((item) => [item.name, item.service])),
    label: `dev-server e2e, same run (${e2e.count} at ${e2e.concurrency} in flight)`,
  };
}
