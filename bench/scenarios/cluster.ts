/**
 * Scenario 6, the production topology: the e2e load (the same customer flow, closed loop) against `npm run
 * cluster`'s stack (scripts/cluster: PostgreSQL 15, the Temporal server built from the Go proxy, SeaweedFS for
 * documents, the workers and API replicas from dist/ behind one balancer, the simulator), measured once with ONE
 * worker and once with TWO. The stack is started by scripts/cluster/stack.ts itself (which builds the Go tools
 * on first use, cached in ~/.cache, and `npm run build` when dist/ is stale), on its own data directory and
 * ports clear of a developer's cluster and of the topology test's. Baseline: the dev-server e2e figures of the
 * same benchmark run when `e2e` ran before it, otherwise none.
 */
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { connectTemporalClient } from '../../composition/client';
import { loadConfig } from '../../config';
import { stopClusterLeftovers } from '../../scripts/cluster/leftovers';
import { allPorts, clusterPorts, isPortFree } from '../../scripts/cluster/ports';
import type { ManagedProcess } from '../../scripts/cluster/process';
import { REPO_ROOT } from '../../scripts/cluster/services';
import { startCluster, type Cluster } from '../../scripts/cluster/stack';
import { SimulatorControl } from '../../simulator/control-client';
import { startCallbackReceiver } from '../infra/callback-receiver';
import { BENCH_CREDENTIALS } from '../infra/credentials';
import { HttpClient } from '../infra/http-client';
import type { RunContext } from '../infra/run-context';
import { serviceEnv } from '../infra/service-stack';
import { withScope, type Scope } from '../infra/teardown';
import { measureClosedLoop, type ClosedLoopSummary } from '../measure/closed-loop-phase';
import { median, type RunShape } from '../measure/histories';
import { ownLoopDelay } from '../measure/own-loop-delay';
import { runPool } from '../measure/pool';
import { cpuMsPerItem, type MeteredProcess } from '../measure/resource-meter';
import { figure, type Figure, type ScenarioResult } from '../report/figures';
import { say } from '../report/progress';
import { resourcesTable } from '../report/table';
import {
  approvedRunShapes,
  countPendingStarts,
  oneOnboarding,
  type OnboardingDone,
  type OnboardingPath,
} from './e2e';
import { customerIds } from './onboarding-api';

export interface ClusterScenarioOptions {
  count: number;
  concurrency: number;
  documentBytes: number;
  warmup: number;
  timeoutMs: number;
}

/** The dev-server e2e figures of the same run, by figure name, with how they were measured. */
export interface DevServerBaseline {
  values: Map<string, number>;
  label: string;
}

interface PhaseResult {
  workers: number;
  /** Onboardings whose start answered 202 first (followed up with the same POST, as a backend would). */
  pendingStarts: number;
  summary: ClosedLoopSummary;
  shapes: RunShape[];
  outcomes: Record<string, number>;
  cpuMsPerOnboarding: Record<string, number>;
}

/** Kept until the next run (its logs are worth a look after a failure); reset at every start. */
const DATA_DIR = path.join(REPO_ROOT, '.data', 'bench-cluster');
/** Port offsets tried in turn, clear of `npm run cluster` (0) and the topology test's (10,000–22,000). */
const PORT_OFFSETS = [14_000, 15_000, 16_000, 23_000];
/** Stopping the whole cluster (workers' grace, the Temporal server, SeaweedFS, PostgreSQL) takes a while. */
const CLUSTER_STOP_TIMEOUT_MS = 120_000;
/** Service processes metered for "CPU per onboarding" (the balancer runs in the benchmark process). */
const SERVICE_GROUPS = ['api', 'worker', 'temporal', 'postgres'] as const;
/** Variables of the shell the service processes need; the benchmark's own stay out. */
const SHELL_VARIABLES = ['PATH', 'HOME', 'LANG', 'TZ', 'XDG_CACHE_HOME', 'TEMPORAL_CLI_PATH', 'GOFLAGS'];
/** What the cluster wires itself (scripts/cluster/stack.ts): the bench's dev-server wiring must not override it. */
const TOPOLOGY_VARIABLES = new Set([
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'TEMPORAL_TASK_QUEUE',
  'WORKFLOW_BUNDLE_PATH',
  'API_HOST',
  'API_PORT',
  'SIMULATOR_HOST',
  'SIMULATOR_PORT',
  'SIMULATOR_WEBHOOK_URL',
  'SIMULATOR_STATE_FILE',
  'DOCUMENT_DIR',
]);

export async function clusterScenario(
  context: RunContext,
  options: ClusterScenarioOptions,
  baseline: DevServerBaseline | undefined,
): Promise<ScenarioResult> {
  const startedAt = Date.now();
  const phases = await withScope('cluster', async (scope) => {
    const callbacks = await startCallbackReceiver(scope, BENCH_CREDENTIALS.callbackSecret);
    const cluster = await startBenchCluster(scope, context, callbacks.url, options.documentBytes);
    const config = loadConfig(cluster.serviceEnv);
    const temporal = await connectTemporalClient(config);
    scope.defer('the bench Temporal client of the cluster', () => temporal.close());
    const http = new HttpClient(cluster.urls.api);
    scope.defer('the API client', () => http.close());
    if (!cluster.urls.simulator) throw new Error('the cluster started without the simulator');
    const route: OnboardingPath = {
      http,
      control: new SimulatorControl(cluster.urls.simulator),
      callbacks,
    };

    const results: PhaseResult[] = [];
    for (const workers of [1, 2]) {
      if (workers === 1) {
        // The cluster starts its two replicas; the first phase runs on one.
        await cluster.workers[1].stop(5_000);
      } else {
        await cluster.startWorker(1);
      }
      const nextId = customerIds(`cluster-w${workers}`);
      const onboard = (customerId: string): Promise<OnboardingDone> =>
        oneOnboarding(route, customerId, options);
      // Warm-up through the API replicas and the worker(s) of this phase (JIT, connections, the second worker's cache).
      await runPool({
        count: options.warmup,
        concurrency: options.concurrency,
        task: (i) => onboard(nextId(-1 - i)),
      });
      const processes = meteredProcesses(cluster, workers);
      const phase = await measureClosedLoop({
        label: `cluster onboardings, ${workers} worker${workers > 1 ? 's' : ''}`,
        count: options.count,
        concurrency: options.concurrency,
        processes,
        task: (i) => onboard(nextId(i)),
      });
      say(resourcesTable(`cluster, ${workers} worker(s)`, phase.summary.resources));
      const { shapes } = await approvedRunShapes(temporal.client, phase.values);
      const outcomes: Record<string, number> = {};
      for (const { outcome = 'none' } of phase.values) outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      results.push({
        workers,
        pendingStarts: countPendingStarts(phase.values),
        summary: phase.summary,
        shapes,
        outcomes,
        cpuMsPerOnboarding: cpuPerGroup(phase.summary, processes),
      });
    }
    return { results, badSignatures: callbacks.badSignatures(), logDir: cluster.logDir };
  });

  const [one, two] = phases.results;
  return {
    name: 'cluster',
    title: 'End to end on the production topology (PostgreSQL, Temporal server, SeaweedFS), 1 and 2 workers',
    params: {
      onboardings: options.count,
      inFlight: options.concurrency,
      documentBytes: options.documentBytes,
      warmup: options.warmup,
      baseline: baseline?.label ?? 'none (e2e did not run before it)',
    },
    figures: [...phaseFigures(one, baseline), ...phaseFigures(two, baseline)],
    checks: {
      onboardings: options.count,
      completedOneWorker: one.summary.completed,
      completedTwoWorkers: two.summary.completed,
      approvedOneWorker: one.outcomes.approved ?? 0,
      approvedTwoWorkers: two.outcomes.approved ?? 0,
      failed: one.summary.failed + two.summary.failed,
      startsAnswered202OneWorker: one.pendingStarts,
      startsAnswered202TwoWorkers: two.pendingStarts,
      badCallbackSignatures: phases.badSignatures,
    },
    resources: { oneWorker: one.summary.resources, twoWorkers: two.summary.resources },
    details: {
      logDir: phases.logDir,
      oneWorker: phaseDetails(one),
      twoWorkers: phaseDetails(two),
    },
    durationMs: Date.now() - startedAt,
  };
}

/** The figures of one phase, each beside the dev-server e2e figure of the same name when there is one. */
function phaseFigures(phase: PhaseResult, baseline: DevServerBaseline | undefined): Figure[] {
  const tag = `${phase.workers} worker${phase.workers > 1 ? 's' : ''}`;
  const label = baseline?.label ?? 'none';
  const against = (name: string): number | null => baseline?.values.get(name) ?? null;
  const serviceCpu = SERVICE_GROUPS.reduce((sum, group) => sum + (phase.cpuMsPerOnboarding[group] ?? 0), 0);
  return [
    figure(`${tag}: throughput`, 'onboardings/s', phase.summary.perSecond, against('throughput'), label),
    figure(`${tag}: latency p50`, 'ms', phase.summary.latency.p50Ms, against('latency p50'), label),
    figure(`${tag}: latency p95`, 'ms', phase.summary.latency.p95Ms, against('latency p95'), label),
    figure(
      `${tag}: CPU per onboarding (APIs + workers + Temporal server + PostgreSQL)`,
      'core-ms',
      serviceCpu,
      // The dev server holds its own persistence (SQLite in memory): its figure covers both.
      against('CPU per onboarding (API + worker + dev server)'),
      baseline ? `${label} (API + worker + dev server)` : label,
    ),
    ...Object.entries(phase.cpuMsPerOnboarding).map(([group, ms]) =>
      figure(`${tag}: CPU per onboarding, ${group}`, 'core-ms', ms, null, 'none'),
    ),
    figure(
      `${tag}: history events per approved onboarding (median)`,
      'events',
      median(phase.shapes.map((shape) => shape.events)),
      against('history events per approved onboarding (median)'),
      label,
    ),
  ];
}

function phaseDetails(phase: PhaseResult): Record<string, unknown> {
  return {
    latency: phase.summary.latency,
    elapsedMs: phase.summary.elapsedMs,
    errors: phase.summary.errors,
    outcomes: phase.outcomes,
    runShape: phase.shapes,
    cpuMsPerOnboarding: phase.cpuMsPerOnboarding,
  };
}

/**
 * Starts `npm run cluster`'s stack for the benchmark: fresh data, free ports, the benchmark's service
 * configuration (the dev-server scenarios' credentials, document size and Ondato's real webhook schedule).
 * Registered in `scope` before it starts, so Ctrl-C during the start still stops what was started.
 */
async function startBenchCluster(
  scope: Scope,
  context: RunContext,
  callbackUrl: string,
  documentBytes: number,
): Promise<Cluster> {
  const leftovers = await stopClusterLeftovers(DATA_DIR);
  if (leftovers.length > 0) say(`  stopped what an earlier benchmark cluster left: ${leftovers.join(', ')}`);
  rmSync(DATA_DIR, { recursive: true, force: true });
  const portOffset = await firstFreeOffset();
  const benchEnv = serviceEnv({
    // Placeholders: the cluster's own wiring replaces every topology variable.
    temporalAddress: '',
    temporalNamespace: '',
    apiPort: 0,
    simulatorPort: 0,
    callbackUrl,
    documentDir: '',
    documentBytes,
    logLevel: context.logLevel,
  });
  const began = Date.now();
  const starting = new AbortController();
  const start = startCluster({
    dataDir: DATA_DIR,
    portOffset,
    log: (line) => say(`  [cluster] ${line}`),
    baseEnv: Object.fromEntries(
      SHELL_VARIABLES.filter((name) => process.env[name] !== undefined).map((name) => [
        name,
        process.env[name],
      ]),
    ),
    serviceEnv: Object.fromEntries(
      Object.entries(benchEnv).filter(([name]) => !TOPOLOGY_VARIABLES.has(name)),
    ),
    signal: starting.signal,
  });
  scope.defer(
    'the cluster',
    async () => {
      // Still starting (Ctrl-C): the start stops what it has started at its next step and rejects.
      starting.abort(new Error('the benchmark is stopping'));
      const cluster = await start.catch(() => undefined);
      await cluster?.stop();
      // A start stopped halfway stops what it registered, but not the replicas of the step it was in (their pids
      // are recorded beside the data): the same clean-up the next start would do, now.
      const left = await stopClusterLeftovers(DATA_DIR);
      if (left.length > 0) say(`  stopped what the cluster's start left running: ${left.join(', ')}`);
    },
    CLUSTER_STOP_TIMEOUT_MS,
  );
  const cluster = await start;
  say(
    `  cluster up in ${((Date.now() - began) / 1000).toFixed(1)} s (${cluster.timings
      .map(([step, seconds]) => `${step} ${seconds.toFixed(1)} s`)
      .join(', ')}); logs in ${cluster.logDir}`,
  );
  return cluster;
}

async function firstFreeOffset(): Promise<number> {
  for (const offset of PORT_OFFSETS) {
    const free = await Promise.all(allPorts(clusterPorts(offset)).map(([, port]) => isPortFree(port)));
    if (free.every(Boolean)) return offset;
  }
  throw new Error(`no free set of ports for the cluster at offsets ${PORT_OFFSETS.join(', ')}`);
}

/** Every process the phase runs on, named by group and replica (`api-1`, `worker-2`, `temporal`, ...). */
function meteredProcesses(cluster: Cluster, workers: number): MeteredProcess[] {
  const named = (child: ManagedProcess): MeteredProcess => ({ name: child.name, pid: child.pid });
  const postmaster = postmasterPid(cluster.dataDir);
  return [
    ...cluster.apis.map(named),
    ...cluster.workers.slice(0, workers).map(named),
    { name: 'temporal', pid: cluster.temporal.process().pid },
    ...(postmaster !== undefined ? [{ name: 'postgres', pid: postmaster, withChildren: true }] : []),
    { name: 's3', pid: cluster.s3.pid },
    ...(cluster.simulator ? [named(cluster.simulator)] : []),
    { name: 'bench (+ balancer)', pid: process.pid, loopDelay: ownLoopDelay },
  ];
}

/** PostgreSQL's postmaster: the first line of postmaster.pid in the data directory scripts/cluster/postgres.ts uses. */
function postmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number(
      readFileSync(path.join(dataDir, 'postgres', 'pgdata', 'postmaster.pid'), 'utf8').split('\n')[0],
    );
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Core-ms per completed onboarding of each group (replicas summed): `api`, `worker`, `temporal`, `postgres`, `s3`. */
function cpuPerGroup(summary: ClosedLoopSummary, processes: MeteredProcess[]): Record<string, number> {
  const groups: Record<string, string[]> = {};
  for (const { name } of processes) {
    const group = name.replace(/-\d+$/, '');
    if (!['api', 'worker', 'temporal', 'postgres', 's3'].includes(group)) continue;
    (groups[group] ??= []).push(name);
  }
  return Object.fromEntries(
    Object.entries(groups).map(([group, names]) => [
      group,
      Math.round(cpuMsPerItem(summary.resources, names, summary.completed) * 10) / 10,
    ]),
  );
}
