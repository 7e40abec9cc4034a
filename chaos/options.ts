/**
 * Command-line options of `npm run chaos`. Full sizes by default (about 10 minutes on 2 cores); `--quick` is the
 * small version `npm test` runs (test/chaos/quick.test.ts).
 */
import { parseArgs } from 'node:util';
import { parseScenarioList } from '../bench/infra/harness-process';
import type { HostileWebhooksOptions } from './scenarios/hostile-webhooks';
import type { OndatoFaultsOptions } from './scenarios/ondato-faults';
import type { TemporalRestartOptions } from './scenarios/temporal-restart';
import type { WorkerKillOptions } from './scenarios/worker-kill';

/** In the order they run: ondato-faults restarts the worker with its own settings, so it goes last. */
export const SCENARIOS = ['worker-kill', 'temporal-restart', 'hostile-webhooks', 'ondato-faults'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface ChaosOptions {
  quick: boolean;
  only: ScenarioName[];
  /** Where the results JSON goes; bench/results/chaos-<timestamp>.json by default. */
  out?: string;
  logLevel: string;
  workerKill: WorkerKillOptions;
  temporalRestart: TemporalRestartOptions;
  hostileWebhooks: HostileWebhooksOptions;
  ondatoFaults: OndatoFaultsOptions;
}

type Sizes = Omit<ChaosOptions, 'quick' | 'only' | 'out' | 'logLevel'>;

const FULL: Sizes = {
  workerKill: {
    // One kill per stage; the slow recoveries (a call in flight without heartbeats waits for its timeout) first,
    // so they overlap the later rounds.
    rounds: [
      ['fetching_results'],
      ['notifying'],
      ['storing_documents'],
      ['awaiting_ondato_review'],
      ['manual_review'],
      ['awaiting_customer'],
    ],
    runsPerStage: 6,
    deadlineMs: 240_000,
  },
  temporalRestart: {
    runs: 21,
    restarts: ['SIGTERM', 'SIGKILL'],
    downMs: 8_000,
    probeStart: true,
    deadlineMs: 180_000,
  },
  hostileWebhooks: { runs: 14, deadlineMs: 180_000 },
  ondatoFaults: {
    runs: 28,
    parkRuns: 6,
    authWindowMs: 20_000,
    requestTimeoutMs: 4_000,
    burstMs: 3_000,
    burstEveryMs: 9_000,
    requireEveryFault: true,
    deadlineMs: 300_000,
  },
};

const QUICK: Sizes = {
  workerKill: {
    // The stages whose work recovers in seconds, in one kill; the 30–60 s timeouts of fetching_results and
    // notifying are left to the full run.
    rounds: [['awaiting_customer', 'awaiting_ondato_review', 'manual_review', 'storing_documents']],
    runsPerStage: 1,
    deadlineMs: 90_000,
  },
  temporalRestart: { runs: 4, restarts: ['SIGTERM'], downMs: 3_000, probeStart: false, deadlineMs: 90_000 },
  hostileWebhooks: { runs: 2, deadlineMs: 90_000 },
  ondatoFaults: {
    runs: 5,
    parkRuns: 2,
    authWindowMs: 6_000,
    requestTimeoutMs: 3_000,
    burstMs: 1_500,
    burstEveryMs: 8_000,
    requireEveryFault: false,
    deadlineMs: 150_000,
  },
};

export const USAGE = `Usage: npm run chaos -- [options]

  --quick                 small runs of every scenario (about a minute), as npm test runs them
  --only <list>           comma-separated subset of: ${SCENARIOS.join(', ')}
  --out <file>            results JSON path (default bench/results/chaos-<timestamp>.json)
  --log-level <level>     LOG_LEVEL of the API (the worker logs at info) (default info)
  --help

Exits non-zero when any scenario's row is below 100 %.`;

export function parseOptions(argv: string[]): ChaosOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      out: { type: 'string' },
      'log-level': { type: 'string', default: 'info' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const only = parseScenarioList(values.only, SCENARIOS);
  const quick = values.quick === true;
  return {
    quick,
    only: SCENARIOS.filter((name) => only.includes(name)),
    out: typeof values.out === 'string' ? values.out : undefined,
    logLevel: typeof values['log-level'] === 'string' ? values['log-level'] : 'info',
    ...structuredClone(quick ? QUICK : FULL),
  };
}
