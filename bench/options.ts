/**
 * Command-line options of `npm run bench`. Full sizes by default; `--quick` makes every scenario small enough
 * for a test run; any size can be set on its own flag (which wins over --quick).
 */
import { parseArgs } from 'node:util';
import { parseScenarioList } from './infra/harness-process';

export const SCENARIOS = ['e2e', 'webhooks', 'start', 'streaming', 'waiting', 'cluster'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];
/** Left out of `--quick` unless named in --only: the cluster takes minutes to start (and to build, the first time). */
const FULL_RUN_ONLY: readonly ScenarioName[] = ['cluster'];

export interface BenchOptions {
  quick: boolean;
  only: ScenarioName[];
  /** Where the results JSON goes; bench/results/<timestamp>.json by default. */
  out?: string;
  logLevel: string;
  /** NODE_OPTIONS for both worker processes, e.g. "--max-old-space-size=1024" (which also shrinks the workflow cache). */
  workerNodeOptions?: string;
  e2e: { count: number; concurrency: number; documentKiB: number; warmup: number };
  webhooks: { rate: number; seconds: number; targets: number; warmupSeconds: number; withoutWorker: boolean };
  start: { rate: number; seconds: number; warmupSeconds: number };
  streaming: { megabytes: number; repeats: number };
  waiting: { count: number; concurrency: number };
  cluster: { count: number; concurrency: number; documentKiB: number; warmup: number };
}

const FULL = {
  e2e: { count: 500, concurrency: 50, documentKiB: 64, warmup: 20 },
  webhooks: { rate: 200, seconds: 60, targets: 200, warmupSeconds: 5 },
  start: { rate: 20, seconds: 60, warmupSeconds: 5 },
  streaming: { megabytes: 100, repeats: 3 },
  waiting: { count: 10_000, concurrency: 50 },
  // The e2e scenario's concurrency, so its dev-server figures are a fair baseline.
  cluster: { count: 200, concurrency: 50, documentKiB: 64, warmup: 20 },
};

const QUICK: typeof FULL = {
  e2e: { count: 20, concurrency: 10, documentKiB: 64, warmup: 2 },
  // Under the API's per-run signal budget (10 back to back, then one a second): 50/s over 10 runs would be a
  // flood per run, whose extra deliveries the API merges (answered `merged`) instead of relaying each.
  webhooks: { rate: 50, seconds: 2, targets: 25, warmupSeconds: 0.5 },
  start: { rate: 20, seconds: 2, warmupSeconds: 0.5 },
  streaming: { megabytes: 10, repeats: 1 },
  waiting: { count: 60, concurrency: 20 },
  cluster: { count: 20, concurrency: 10, documentKiB: 64, warmup: 2 },
};

/** flag → [section, field] of the sizes. */
const SIZE_FLAGS = {
  'e2e-count': ['e2e', 'count'],
  'e2e-concurrency': ['e2e', 'concurrency'],
  'e2e-doc-kib': ['e2e', 'documentKiB'],
  'e2e-warmup': ['e2e', 'warmup'],
  'webhook-rate': ['webhooks', 'rate'],
  'webhook-seconds': ['webhooks', 'seconds'],
  'webhook-targets': ['webhooks', 'targets'],
  'webhook-warmup': ['webhooks', 'warmupSeconds'],
  'start-rate': ['start', 'rate'],
  'start-seconds': ['start', 'seconds'],
  'start-warmup': ['start', 'warmupSeconds'],
  'stream-mb': ['streaming', 'megabytes'],
  'stream-repeats': ['streaming', 'repeats'],
  'waiting-count': ['waiting', 'count'],
  'waiting-concurrency': ['waiting', 'concurrency'],
  'cluster-count': ['cluster', 'count'],
  'cluster-concurrency': ['cluster', 'concurrency'],
  'cluster-doc-kib': ['cluster', 'documentKiB'],
  'cluster-warmup': ['cluster', 'warmup'],
} as const;

export const USAGE = `Usage: npm run bench -- [options]

  --quick                 every scenario small (seconds each), for a smoke run
  --only <list>           comma-separated subset of: ${SCENARIOS.join(', ')}
                          (--quick leaves out ${FULL_RUN_ONLY.join(', ')} unless named here)
  --out <file>            results JSON path (default bench/results/<timestamp>.json)
  --log-level <level>     LOG_LEVEL of the API and worker processes (default info)
  --webhook-without-worker  diagnostic: stop the worker before the webhook load (intake cost only)
  --worker-node-options <opts>  NODE_OPTIONS of both worker processes, e.g. --max-old-space-size=1024
${Object.entries(SIZE_FLAGS)
  .map(
    ([flag, [section, field]]) =>
      `  --${flag.padEnd(22)}default ${FULL[section][field as keyof (typeof FULL)[typeof section]]}`,
  )
  .join('\n')}
  --markdown <results.json>  print an earlier run's figures as a Markdown table, run nothing
  --help`;

export function parseOptions(argv: string[]): BenchOptions | 'help' | { markdownOf: string } {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      out: { type: 'string' },
      'log-level': { type: 'string', default: 'info' },
      'webhook-without-worker': { type: 'boolean', default: false },
      'worker-node-options': { type: 'string' },
      help: { type: 'boolean', default: false },
      markdown: { type: 'string' },
      ...Object.fromEntries(Object.keys(SIZE_FLAGS).map((flag) => [flag, { type: 'string' as const }])),
    },
    strict: true,
  });
  if (values.help) return 'help';
  if (typeof values.markdown === 'string') return { markdownOf: values.markdown };

  const quick = values.quick === true;
  const sizes = structuredClone(quick ? QUICK : FULL);
  for (const [flag, [section, field]] of Object.entries(SIZE_FLAGS)) {
    const raw = values[flag as keyof typeof values];
    if (typeof raw !== 'string') continue;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0)
      throw new Error(`--${flag} must be a non-negative number, got ${raw}`);
    (sizes[section] as Record<string, number>)[field] = value;
  }

  const listed = parseScenarioList(values.only, SCENARIOS);
  const only =
    quick && values.only === undefined ? listed.filter((name) => !FULL_RUN_ONLY.includes(name)) : listed;
  return {
    quick,
    only,
    out: typeof values.out === 'string' ? values.out : undefined,
    logLevel: typeof values['log-level'] === 'string' ? values['log-level'] : 'info',
    workerNodeOptions:
      typeof values['worker-node-options'] === 'string' ? values['worker-node-options'] : undefined,
    ...sizes,
    webhooks: { ...sizes.webhooks, withoutWorker: values['webhook-without-worker'] === true },
  };
}
