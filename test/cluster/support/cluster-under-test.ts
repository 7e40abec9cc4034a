/**
 * `npm run cluster`'s stack (scripts/cluster/stack.ts) for the topology test: its own data directory (fresh, so
 * the test covers a start from nothing but the tool cache) and ports shifted clear of a developer's cluster,
 * with a callback recorder in this process and the clients the chaos suite's driver and checks use.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { DocumentStore } from '../../../storage/document-store';
import { createDocumentStore } from '../../../storage/store-factory';
import { BENCH_CREDENTIALS } from '../../../bench/infra/credentials';
import { Scope } from '../../../bench/infra/teardown';
import { startCallbackRecorder, type CallbackRecorder } from '../../../chaos/callback-recorder';
import { ServiceApi } from '../../../chaos/service-api';
import { connectTemporalClient } from '../../../composition/client';
import { loadConfig, type AppConfig } from '../../../config';
import { createOndatoClient, type OndatoClient } from '../../../ondato/client';
import { stopClusterLeftovers } from '../../../scripts/cluster/leftovers';
import { allPorts, clusterPorts, isPortFree } from '../../../scripts/cluster/ports';
import { REPO_ROOT } from '../../../scripts/cluster/services';
import { startCluster, type Cluster } from '../../../scripts/cluster/stack';
import { SimulatorControl } from '../../../simulator/control-client';

export const OPS_KEY = 'cluster-test-ops-key';
const DATA_DIR = path.join(REPO_ROOT, '.data', 'cluster-test');
/** Offsets tried in turn: the first whose every port is free wins. */
const PORT_OFFSETS = [10_000, 11_000, 12_000, 21_000, 22_000];

export interface ClusterUnderTest {
  cluster: Cluster;
  config: AppConfig;
  client: Client;
  /** One API client per replica (runs alternate between them), straight to the replica, not the balancer. */
  apis: ServiceApi[];
  control: SimulatorControl;
  callbacks: CallbackRecorder;
  ondato: OndatoClient;
  documents: DocumentStore;
  /** Stops the cluster and starts it again on the same data directory and ports (state survives). */
  restart(): Promise<{ stopSeconds: number; startSeconds: number }>;
  close(): Promise<void>;
}

export async function startClusterUnderTest(log: (line: string) => void): Promise<ClusterUnderTest> {
  const scope = new Scope('cluster test');
  const callbacks = await startCallbackRecorder(scope, BENCH_CREDENTIALS.callbackSecret);
  // A test run killed outright leaves its processes running on the data directory removed next: stop them.
  const leftovers = await stopClusterLeftovers(DATA_DIR);
  if (leftovers.length > 0) log(`stopped what an earlier run left: ${leftovers.join(', ')}`);
  rmSync(DATA_DIR, { recursive: true, force: true });
  const portOffset = await firstFreeOffset();
  const serviceEnv: Record<string, string> = {
    LOG_LEVEL: 'info',
    API_KEYS: BENCH_CREDENTIALS.apiKey,
    API_OPS_KEYS: OPS_KEY,
    ONDATO_ENV: 'simulator',
    ONDATO_CLIENT_ID: BENCH_CREDENTIALS.ondatoClientId,
    ONDATO_CLIENT_SECRET: BENCH_CREDENTIALS.ondatoClientSecret,
    WEBHOOK_USERNAME: BENCH_CREDENTIALS.webhookUsername,
    WEBHOOK_PASSWORD: BENCH_CREDENTIALS.webhookPassword,
    CALLBACK_URL: callbacks.url,
    CALLBACK_SECRET: BENCH_CREDENTIALS.callbackSecret,
    // The recorder listens on loopback, which the callback sender refuses unless told otherwise.
    CALLBACK_ALLOW_PRIVATE_TARGETS: 'true',
    // Redeliveries after a failed webhook come 5 times sooner than Ondato's (2 s, 6 s, ...), with a 6 s timeout.
    SIMULATOR_WEBHOOK_TIME_SCALE: '0.2',
    SIMULATOR_DOCUMENT_BYTES: String(64 * 1024),
    SIMULATOR_TOKEN_LIFETIME_SECONDS: '60',
    WORKER_SHUTDOWN_GRACE_MS: '2000',
  };
  const start = (skipBuild = false): Promise<Cluster> =>
    startCluster({
      skipBuild,
      dataDir: DATA_DIR,
      portOffset,
      log,
      // Only what a process needs from the shell: the test runner's own variables stay out of the services.
      baseEnv: pick(process.env, [
        'PATH',
        'HOME',
        'LANG',
        'TZ',
        'XDG_CACHE_HOME',
        'TEMPORAL_CLI_PATH',
        'GOFLAGS',
      ]),
      serviceEnv,
    });
  let cluster = await start().catch(async (error: unknown) => {
    await scope.close();
    throw error;
  });
  const config = loadConfig(cluster.serviceEnv);
  const temporal = await connectTemporalClient(config);
  const credentials = {
    user: BENCH_CREDENTIALS.webhookUsername,
    password: BENCH_CREDENTIALS.webhookPassword,
  };
  const apis = cluster.urls.apiReplicas.map(
    (url) => new ServiceApi(url, BENCH_CREDENTIALS.apiKey, OPS_KEY, credentials),
  );
  await Promise.all(apis.map((api) => api.discover()));
  const under: ClusterUnderTest = {
    cluster,
    config,
    client: temporal.client,
    apis,
    control: new SimulatorControl(cluster.urls.simulator as string),
    callbacks,
    ondato: createOndatoClient(config.ondato),
    // The store the workers write to (S3 on the cluster), read back and decrypted as the service reads it.
    documents: createDocumentStore(config.documents, config.codec.keyRing),
    async restart() {
      const began = Date.now();
      await cluster.stop();
      const stopped = Date.now();
      // dist/ was built by the first start; the working tree may have changed since, which is not the point here.
      cluster = await start(true);
      under.cluster = cluster;
      return { stopSeconds: (stopped - began) / 1000, startSeconds: (Date.now() - stopped) / 1000 };
    },
    async close() {
      await temporal.close();
      await cluster.stop();
      await scope.close();
    },
  };
  return under;
}

/** Removes the test's data directory (after a passing run; a failing one keeps it, logs included). */
export function removeTestData(): void {
  rmSync(DATA_DIR, { recursive: true, force: true });
}

async function firstFreeOffset(): Promise<number> {
  for (const offset of PORT_OFFSETS) {
    const free = await Promise.all(allPorts(clusterPorts(offset)).map(([, port]) => isPortFree(port)));
    if (free.every(Boolean)) return offset;
  }
  throw new Error(`no free set of ports for the cluster at offsets ${PORT_OFFSETS.join(', ')}`);
}

function pick(env: NodeJS.ProcessEnv, names: string[]): NodeJS.ProcessEnv {
  return Object.fromEntries(names.filter((name) => env[name] !== undefined).map((name) => [name, env[name]]));
}
