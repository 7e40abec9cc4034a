/**
 * The production topology on this machine, started in dependency order and stopped in the reverse one:
 * PostgreSQL → S3 (SeaweedFS) beside the Temporal server (schemas, namespace, search attributes) → the simulator →
 * the workers → the API replicas behind one balancer → the Web UI. `npm run cluster` prints it; the topology test drives and breaks it.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { NAMESPACE, SERVICE, TASK_QUEUE, VERSIONS } from '../../deploy/topology';
import { ensureTemporalCli } from '../temporal-cli';
import type { RunningSeaweedfs } from '../seaweedfs';
import { startBalancer, type Balancer } from './balancer';
import { pidDir, stopClusterLeftovers } from './leftovers';
import { ensureNamespace } from './namespace';
import { allPorts, assertPortsFree, clusterPorts, HOST, type ClusterPorts } from './ports';
import { startPostgres, type RunningPostgres } from './postgres';
import { startClusterS3 } from './s3';
import type { ManagedProcess } from './process';
import { buildIfStale, REPO_ROOT, startService } from './services';
import { setUpSchemas, startTemporalServer, type TemporalServer } from './temporal-server';
import { ensureClusterTools } from './tools';
import { startUiServer } from './ui-server';

export interface ClusterOptions {
  /** Everything the cluster keeps (databases, documents, simulator sessions, logs); survives a restart. */
  dataDir: string;
  /** Added to every port of deploy/topology.ts, so a second cluster can run beside the first. */
  portOffset: number;
  log: (line: string) => void;
  /** The environment the service processes start from (the user's, with .env loaded); the cluster's wiring wins. */
  baseEnv: NodeJS.ProcessEnv;
  /** Set last: what a caller (the topology test) needs on top of the cluster's wiring. */
  serviceEnv?: Record<string, string>;
  /** Skip `npm run build` even when dist/ looks stale. */
  skipBuild?: boolean;
  /** Aborted (Ctrl-C during the start): the next step stops everything started so far and throws. */
  signal?: AbortSignal;
}

export interface Cluster {
  ports: ClusterPorts;
  urls: {
    api: string;
    apiReplicas: string[];
    ui: string;
    simulator?: string;
    temporal: string;
    postgres: string;
  };
  dataDir: string;
  logDir: string;
  /** The environment every service process got (for clients of the same cluster: the test's). */
  serviceEnv: NodeJS.ProcessEnv;
  temporal: TemporalServer;
  postgres: RunningPostgres;
  s3: RunningSeaweedfs;
  balancer: Balancer;
  workers: ManagedProcess[];
  apis: ManagedProcess[];
  simulator?: ManagedProcess;
  /** Seconds each step took, in order. */
  timings: Array<[string, number]>;
  startWorker(index: number): Promise<ManagedProcess>;
  startApi(index: number): Promise<ManagedProcess>;
  /** Stops everything in order: APIs, workers, simulator, UI, Temporal, S3, PostgreSQL. */
  stop(): Promise<void>;
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const { log } = options;
  const ports = clusterPorts(options.portOffset);
  const dataDir = path.resolve(options.dataDir);
  const logDir = path.join(dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const timings: Array<[string, number]> = [];
  const step = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const began = Date.now();
    options.signal?.throwIfAborted();
    const value = await work();
    options.signal?.throwIfAborted();
    timings.push([name, (Date.now() - began) / 1000]);
    return value;
  };
  /** What is running, newest last: stopped newest first, also when a later step fails. */
  const stops: Array<{ what: string; stop: () => Promise<unknown> }> = [];
  const stopAll = async (): Promise<void> => {
    for (const { what, stop } of stops.splice(0).reverse()) {
      log(`stopping ${what}`);
      await stop().catch((error: unknown) => log(`while stopping ${what}: ${String(error)}`));
    }
  };

  try {
    const leftovers = await stopClusterLeftovers(dataDir);
    if (leftovers.length > 0)
      log(`stopped what an earlier cluster on ${dataDir} left running: ${leftovers.join(', ')}`);
    await step('ports free', () => assertPortsFree(allPorts(ports)));
    const goLog = (line: string): void => log(line.replace(/^\[setup\] /, ''));
    const tools = await step('Go tools', () => ensureClusterTools({ log: goLog }));
    const cli = await step('Temporal CLI', () => ensureTemporalCli(process.env, goLog));
    const distDir = path.join(REPO_ROOT, 'dist');
    // The build (CPU) runs while PostgreSQL, S3 and Temporal start (mostly waiting); services wait for both.
    const building = step('service build', async () =>
      options.skipBuild ? 'skipped' : buildIfStale(distDir, log),
    );
    building.catch(() => undefined);

    const postgres: RunningPostgres = await step('PostgreSQL', () =>
      startPostgres({ dataDir: path.join(dataDir, 'postgres'), port: ports.postgres, log }),
    );
    stops.push({ what: 'PostgreSQL', stop: () => postgres.stop() });

    const temporalOptions = {
      serverBinary: tools.server.path,
      sqlToolBinary: tools.sqlTool.path,
      cliBinary: cli.path,
      serverVersion: VERSIONS.temporalServer,
      dataDir,
      logDir,
      ports,
      postgres,
      log,
    };
    // SeaweedFS takes about 11 s to take writes: it starts beside the Temporal server's setup.
    const [s3, temporal] = await Promise.allSettled([
      step('S3 (SeaweedFS)', () => startClusterS3(dataDir, ports, log)),
      step('Temporal schemas and server', async () => {
        await setUpSchemas(temporalOptions);
        return startTemporalServer(temporalOptions);
      }),
    ]);
    // Stopped in this order, after everything else: Temporal, then S3, then PostgreSQL.
    if (s3.status === 'fulfilled') stops.push({ what: 'S3 (SeaweedFS)', stop: () => s3.value.server.stop() });
    if (temporal.status === 'fulfilled')
      stops.push({ what: 'the Temporal server', stop: () => temporal.value.stop() });
    if (s3.status === 'rejected') throw s3.reason;
    if (temporal.status === 'rejected') throw temporal.reason;
    const documentsEnv = s3.value.env;
    const temporalServer = temporal.value;
    await step('namespace and search attributes', () =>
      ensureNamespace(cli.path, temporalServer.address, log),
    );

    log(`service build: ${await building}`);
    const balancer = await startBalancer(ports.balancer, ports.apis);
    const simulatorUrl = `http://${HOST}:${ports.simulator}`;
    const withSimulator = (options.baseEnv.ONDATO_ENV ?? 'simulator') === 'simulator';
    const serviceEnv: NodeJS.ProcessEnv = {
      ...options.baseEnv,
      NODE_ENV: 'production',
      // As the image sets it (Dockerfile): two malloc arenas keep a worker's RSS down.
      MALLOC_ARENA_MAX: options.baseEnv.MALLOC_ARENA_MAX ?? '2',
      TEMPORAL_ADDRESS: temporalServer.address,
      TEMPORAL_NAMESPACE: NAMESPACE,
      TEMPORAL_TASK_QUEUE: TASK_QUEUE,
      WORKFLOW_BUNDLE_PATH: path.join(distDir, 'workflow-bundle.js'),
      API_HOST: HOST,
      API_PUBLIC_URL: balancer.url,
      CODEC_CORS_ORIGINS: `http://${HOST}:${ports.ui}`,
      ...documentsEnv,
      SIMULATOR_HOST: HOST,
      SIMULATOR_PORT: String(ports.simulator),
      SIMULATOR_STATE_FILE: path.join(dataDir, 'simulator.json'),
      SIMULATOR_WEBHOOK_URL: `${balancer.url}/webhooks/ondato`,
      ...options.serviceEnv,
    };

    let simulator: ManagedProcess | undefined;
    if (withSimulator) {
      simulator = await step('simulator', () =>
        startService({
          kind: 'simulator',
          name: 'simulator',
          distDir,
          env: serviceEnv,
          logDir,
          pidDir: pidDir(dataDir),
          port: ports.simulator,
        }),
      );
      const running = simulator;
      stops.push({ what: 'the simulator', stop: () => running.stop() });
    }

    const workers: ManagedProcess[] = [];
    const startWorker = async (index: number): Promise<ManagedProcess> => {
      const level = serviceEnv.LOG_LEVEL;
      const worker = await startService({
        kind: 'worker',
        name: `worker-${index + 1}`,
        distDir,
        // Readiness is the info line "worker polling": never quieter than info.
        env: { ...serviceEnv, LOG_LEVEL: level === 'debug' || level === 'trace' ? level : 'info' },
        logDir,
        pidDir: pidDir(dataDir),
      });
      workers[index] = worker;
      return worker;
    };
    const apis: ManagedProcess[] = [];
    const startApi = async (index: number): Promise<ManagedProcess> => {
      const api = await startService({
        kind: 'api',
        name: `api-${index + 1}`,
        distDir,
        env: { ...serviceEnv, API_PORT: String(ports.apis[index]) },
        logDir,
        pidDir: pidDir(dataDir),
        port: ports.apis[index],
      });
      apis[index] = api;
      return api;
    };
    await step('workers', () =>
      Promise.all(Array.from({ length: SERVICE.worker.replicas }, (_, i) => startWorker(i))),
    );
    stops.push({
      what: 'the workers',
      stop: () =>
        Promise.all(
          workers.map((worker) => worker.stop(Number(serviceEnv.WORKER_SHUTDOWN_GRACE_MS ?? 30_000) + 5_000)),
        ),
    });
    await step('APIs', () => Promise.all(ports.apis.map((_, i) => startApi(i))));
    stops.push({ what: 'the APIs', stop: () => Promise.all(apis.map((api) => api.stop())) });
    stops.push({ what: 'the API balancer', stop: () => balancer.close() });

    const ui = await step('Temporal UI', () =>
      startUiServer({
        binary: tools.uiServer.path,
        dataDir,
        logDir,
        port: ports.ui,
        temporalAddress: temporalServer.address,
        codecEndpoint: `${balancer.url}/codec`,
      }),
    );
    // The UI goes after the services and before Temporal: it is only a window onto the server.
    stops.splice(3, 0, { what: 'the Temporal UI', stop: () => ui.stop() });

    return {
      ports,
      urls: {
        api: balancer.url,
        apiReplicas: ports.apis.map((port) => `http://${HOST}:${port}`),
        ui: `http://${HOST}:${ports.ui}`,
        simulator: withSimulator ? simulatorUrl : undefined,
        temporal: temporalServer.address,
        postgres: postgres.address,
      },
      dataDir,
      logDir,
      serviceEnv,
      temporal: temporalServer,
      postgres,
      s3: s3.value.server,
      balancer,
      workers,
      apis,
      simulator,
      timings,
      startWorker,
      startApi,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
