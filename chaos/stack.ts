/**
 * The service as it runs in production, for the chaos suite: Temporal's dev server on a SQLite file (restartable on
 * the same file and port), the Ondato simulator, the worker and the API, each its own process started from its real
 * entry point by the benchmark's harness (bench/infra/service-process.ts: `node --import tsx`, so the pid is the
 * node process that runs the worker, not a tsx wrapper), and a callback recorder in this process.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { LocalDocumentStore } from '../storage/local-store';
import { connectTemporalClient } from '../composition/client';
import { loadConfig, type AppConfig } from '../config';
import { createOndatoClient, type OndatoClient } from '../ondato/client';
import { SimulatorControl } from '../simulator/control-client';
import { BENCH_CREDENTIALS } from '../bench/infra/credentials';
import { freePort } from '../bench/infra/free-port';
import type { RunContext } from '../bench/infra/run-context';
import { answers, printed, startServiceProcess, type ServiceProcess } from '../bench/infra/service-process';
import { serviceEnv, startSimulatorProcess } from '../bench/infra/service-stack';
import type { Scope } from '../bench/infra/teardown';
import { ServiceApi } from './service-api';
import { startCallbackRecorder, type CallbackRecorder } from './callback-recorder';
import { say } from './report';
import { startPersistentTemporal, type PersistentTemporal } from './temporal-server';

export const CHAOS_OPS_KEY = 'chaos-ops-key';
/** Documents are small: the suite is about what survives, not about throughput. */
const DOCUMENT_BYTES = 64 * 1024;
/**
 * Tokens live a minute (refreshed at half-life); the 401s of the Ondato-faults scenario make the worker refresh far
 * more often. Shorter lifetimes make nearly every retried call fetch a token first, so a call fails about twice as
 * often as the fault rate, and exponential backoff stretches a run by minutes.
 */
const TOKEN_LIFETIME_SECONDS = 60;

export interface ChaosStack {
  temporal: PersistentTemporal;
  /** A Temporal client with the service's data converter (payloads encrypted as the API's are). */
  client: Client;
  config: AppConfig;
  api: ServiceApi;
  control: SimulatorControl;
  callbacks: CallbackRecorder;
  /** The document store the worker writes to, read back (decrypted) for the checks. */
  documents: LocalDocumentStore;
  /** An Ondato client of the simulator: the original documents the stored ones are compared with. */
  ondato: OndatoClient;
  /** The running worker process. */
  worker(): ServiceProcess;
  /** SIGKILL of the worker's node process; resolves once it is gone. Returns its pid. */
  killWorker(): Promise<number>;
  /** Starts a worker (after a kill), optionally with extra environment; resolves once it polls. */
  startWorker(extraEnv?: Record<string, string>): Promise<ServiceProcess>;
  /** SIGTERM (graceful: running activities get WORKER_SHUTDOWN_GRACE_MS), then a new worker. */
  restartWorker(extraEnv?: Record<string, string>): Promise<ServiceProcess>;
  /**
   * Times the worker exited on its own (not killed or stopped by the suite), since `since`. Each time, a new
   * worker was started as a supervisor (systemd, Kubernetes) would, so the runs can still be judged.
   */
  workerCrashes(since: number): WorkerCrash[];
}

export interface WorkerCrash {
  pid: number;
  exitCode: number | null;
  at: number;
  /** The end of the worker's log: why it died. */
  logTail: string;
}

export async function startChaosStack(scope: Scope, context: RunContext): Promise<ChaosStack> {
  const began = Date.now();
  const dataDir = mkdtempSync(path.join(context.workDir, 'stack-'));
  scope.defer('the stack files', () => rmSync(dataDir, { recursive: true, force: true }));
  // The dev server's warnings and errors (e.g. updates whose caller gave up while the worker was dead) go to its
  // own log file beside the services' logs.
  const temporalLog = path.join(context.logDir, 'temporal.log');
  const temporal = await startPersistentTemporal(scope, {
    dir: dataDir,
    log: (line) => appendFileSync(temporalLog, `${new Date().toISOString()} ${line}\n`),
  });
  const callbacks = await startCallbackRecorder(scope, BENCH_CREDENTIALS.callbackSecret);
  const documentDir = path.join(dataDir, 'documents');
  const [apiPort, simulatorPort] = await Promise.all([freePort(), freePort()]);
  const env: Record<string, string> = {
    ...serviceEnv({
      temporalAddress: temporal.address,
      temporalNamespace: temporal.namespace,
      apiPort,
      simulatorPort,
      callbackUrl: callbacks.url,
      documentDir,
      documentBytes: DOCUMENT_BYTES,
      logLevel: context.logLevel,
      bundlePath: context.serviceBundlePath,
    }),
    // With an identity: the API records the ops key's identity as who resumed, and the scenarios look for it.
    API_OPS_KEYS: `chaos-ops:${CHAOS_OPS_KEY}`,
    SIMULATOR_TOKEN_LIFETIME_SECONDS: String(TOKEN_LIFETIME_SECONDS),
  };
  const apiUrl = `http://127.0.0.1:${apiPort}`;

  const startWorkerProcess = (extraEnv: Record<string, string> = {}): Promise<ServiceProcess> =>
    startServiceProcess(scope, {
      name: 'worker',
      entry: 'workers/main.ts',
      env: {
        ...env,
        ...(context.workerNodeOptions ? { NODE_OPTIONS: context.workerNodeOptions } : {}),
        // The readiness line ("worker polling") is logged at info.
        LOG_LEVEL: 'info',
        ...extraEnv,
      },
      logDir: context.logDir,
      ready: printed(/worker polling/),
    });

  const [, firstWorker] = await Promise.all([
    startSimulatorProcess(scope, context, env),
    startWorkerProcess(),
    startServiceProcess(scope, {
      name: 'api',
      entry: 'api/main.ts',
      env,
      logDir: context.logDir,
      ready: answers(`${apiUrl}/healthz`),
    }),
  ]);
  let worker = firstWorker;
  let workerEnv: Record<string, string> = {};
  /** Pids the suite itself killed or stopped. */
  const ended = new Set<number>();
  const crashes: WorkerCrash[] = [];
  let closing = false;
  const supervise = (process_: ServiceProcess): void => {
    // Stops run newest first: registered after this worker's own stop, this runs before it.
    scope.defer('worker supervision', () => {
      closing = true;
    });
    void process_.exited.then(async (exitCode) => {
      if (closing || ended.has(process_.pid) || process_ !== worker) return;
      crashes.push({ pid: process_.pid, exitCode, at: Date.now(), logTail: logTail(process_.logFile) });
      say(
        `  !! the worker (pid ${process_.pid}) exited on its own with code ${exitCode}; starting a new one as a supervisor would`,
      );
      worker = await startWorkerProcess(workerEnv);
      supervise(worker);
    });
  };
  supervise(worker);

  const config = loadConfig(env);
  const temporalClient = await connectTemporalClient(config);
  scope.defer('the chaos Temporal client', () => temporalClient.close());
  const api = new ServiceApi(apiUrl, BENCH_CREDENTIALS.apiKey, CHAOS_OPS_KEY, {
    user: BENCH_CREDENTIALS.webhookUsername,
    password: BENCH_CREDENTIALS.webhookPassword,
  });
  await api.discover();
  say(
    `  stack up in ${((Date.now() - began) / 1000).toFixed(1)} s: Temporal ${temporal.address} (SQLite ${path.basename(temporal.dbFile)}), simulator, worker (pid ${worker.pid}), API ${apiUrl}; resume via ${api.resumeRoute ? 'POST /v1/onboardings/:id/resume (ops key)' : 'the resumeRun update (the API has no resume route yet)'}`,
  );

  const killWorker = async (): Promise<number> => {
    const target = worker;
    assertWorkerNodeProcess(target.pid);
    ended.add(target.pid);
    process.kill(target.pid, 'SIGKILL');
    await target.exited;
    return target.pid;
  };
  const startWorker = async (extraEnv: Record<string, string> = workerEnv): Promise<ServiceProcess> => {
    workerEnv = extraEnv;
    worker = await startWorkerProcess(extraEnv);
    supervise(worker);
    return worker;
  };

  return {
    temporal,
    client: temporalClient.client,
    config,
    api,
    control: new SimulatorControl(`http://127.0.0.1:${simulatorPort}`),
    callbacks,
    documents: new LocalDocumentStore(config.documents.dir, config.codec.keyRing),
    ondato: createOndatoClient(config.ondato),
    worker: () => worker,
    killWorker,
    startWorker,
    async restartWorker(extraEnv) {
      ended.add(worker.pid);
      await worker.stop();
      return startWorker(extraEnv);
    },
    workerCrashes: (since) => crashes.filter((crash) => crash.at >= since),
  };
}

function logTail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-40).join('\n');
  } catch {
    return '(no log)';
  }
}

/** The pid must be node running the worker's entry point (not a wrapper whose death would leave it running). */
function assertWorkerNodeProcess(pid: number): void {
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  if (argv[0] !== process.execPath || !argv.some((arg) => arg.endsWith(path.join('workers', 'main.ts')))) {
    throw new Error(`pid ${pid} is not the worker's node process: ${argv.join(' ')}`);
  }
}
