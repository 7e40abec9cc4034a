/**
 * `npm run cluster`: the production topology on this machine, without Docker (see scripts/cluster/stack.ts).
 * Options: --port-offset N (every port of deploy/topology.ts + N), --data-dir DIR (default .data/cluster),
 * --no-build (use dist/ as it is). Ctrl-C stops everything in order; the next start reuses the data directory.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { NAMESPACE, SEARCH_ATTRIBUTE_NAMES } from '../../deploy/topology';
import { MAX_PORT_OFFSET } from './ports';
import { REPO_ROOT } from './services';
import { startCluster, type Cluster } from './stack';

const say = (line: string): void => {
  process.stderr.write(`[cluster] ${line}\n`);
};

const argsSchema = z.object({
  portOffset: z.coerce.number().int().min(0).max(MAX_PORT_OFFSET),
  dataDir: z.string().min(1),
  build: z.boolean(),
});

export function parseArgs(argv: string[]): z.infer<typeof argsSchema> {
  const raw: Record<string, unknown> = {
    portOffset: 0,
    dataDir: path.join(REPO_ROOT, '.data', 'cluster'),
    build: true,
  };
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index];
    if (arg === '--port-offset') raw.portOffset = argv[++index];
    else if (arg === '--data-dir') raw.dataDir = argv[++index];
    else if (arg === '--no-build') raw.build = false;
    else throw new Error(`unknown option ${arg} (options: --port-offset N, --data-dir DIR, --no-build)`);
  }
  return argsSchema.parse(raw);
}

function banner(cluster: Cluster, seconds: number): string {
  const { urls, ports } = cluster;
  const lines = [
    `up in ${seconds.toFixed(1)} s (${cluster.timings.map(([step, s]) => `${step} ${s.toFixed(1)} s`).join(', ')})`,
    '',
    `  API           ${urls.api}   (balancer over ${urls.apiReplicas.join(', ')}; docs at ${urls.api}/docs)`,
    `  Temporal UI   ${urls.ui}   (payloads decrypted through ${urls.api}/codec)`,
    `  Temporal      ${urls.temporal}   (namespace ${NAMESPACE}; search attributes ${SEARCH_ATTRIBUTE_NAMES.join(', ')})`,
    `  PostgreSQL    ${urls.postgres}   (databases temporal, temporal_visibility)`,
    urls.simulator
      ? `  Ondato        simulator ${urls.simulator}   (webhooks to ${urls.api}/webhooks/ondato)`
      : `  Ondato        real (${cluster.serviceEnv.ONDATO_ENV}); register ${urls.api}/webhooks/ondato as the webhook URL`,
    `  workers       ${cluster.workers.map((worker) => `pid ${worker.pid}`).join(', ')}`,
    `  APIs          ${cluster.apis.map((api, index) => `pid ${api.pid} on ${ports.apis[index]}`).join(', ')}`,
    `  documents     S3 ${cluster.s3.endpoint}/${cluster.serviceEnv.DOCUMENT_S3_BUCKET} (SeaweedFS, SSE-S3 beside the service's own encryption)`,
    `  data, logs    ${cluster.dataDir}, ${cluster.logDir}`,
    '',
    'Ctrl-C stops everything (APIs, workers, simulator, UI, Temporal, S3, PostgreSQL); the data stays for the next start.',
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  const began = Date.now();
  const args = parseArgs(process.argv.slice(2));
  // A local .env configures the service (e.g. real Ondato); variables set in the shell win over it.
  if (existsSync(path.join(REPO_ROOT, '.env'))) process.loadEnvFile(path.join(REPO_ROOT, '.env'));

  const running: { cluster?: Cluster } = {};
  let stopping = false;
  const starting = new AbortController();
  const stop = async (reason: string, code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    say(`stopping (${reason})...`);
    if (!running.cluster) {
      // Still starting: the start stops what it has started at its next step, then fails.
      starting.abort(new Error(`${reason} while starting`));
      return;
    }
    await running.cluster.stop();
    say('stopped');
    process.exit(code);
  };
  // `on`: the same signal can arrive twice (terminal and npm); the second must not kill the stop halfway.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
    process.on(signal, () => void stop(signal, 0));

  const cluster = await startCluster({
    dataDir: args.dataDir,
    portOffset: args.portOffset,
    log: say,
    baseEnv: process.env,
    skipBuild: !args.build,
    signal: starting.signal,
  });
  running.cluster = cluster;
  say(banner(cluster, (Date.now() - began) / 1000));
  for (const child of [...cluster.workers, ...cluster.apis, cluster.temporal.process()]) {
    void child.exited.then((code) => {
      if (!stopping)
        say(`!! ${child.name} (pid ${child.pid}) exited on its own (code ${code}); see ${child.logFile}`);
    });
  }
}

main().catch((error: unknown) => {
  say(`failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
