/**
 * The cluster's Temporal server: the plain server binary (all four services in one process) on PostgreSQL with
 * SQL visibility. Its config is written from deploy/topology.ts; both databases are created on first start and
 * their schemas brought to the server's version on every start (idempotent). Before anything talks to it, the
 * server answering is checked to be this one: its pid alive and its persistence store `postgres12`.
 */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { POSTGRES } from '../../deploy/topology';
import { downloadModule } from '../go-tool';
import { onPath } from '../tool-cache';
import { HOST, type ClusterPorts } from './ports';
import { pidDir } from './leftovers';
import { startProcess, type ManagedProcess } from './process';
import type { RunningPostgres } from './postgres';

/** The cluster's name in Temporal's metadata; fixed, since the database remembers it. */
const CLUSTER_NAME = 'active';

export interface TemporalServerOptions {
  serverBinary: string;
  sqlToolBinary: string;
  cliBinary: string;
  serverVersion: string;
  dataDir: string;
  logDir: string;
  ports: ClusterPorts;
  postgres: RunningPostgres;
  log: (line: string) => void;
}

export interface TemporalServer {
  address: string;
  process(): ManagedProcess;
  /** Stops the server (SIGTERM, or SIGKILL as a crash would) and starts it again on the same databases. */
  restart(how: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  stop(): Promise<void>;
}

export async function setUpSchemas(options: TemporalServerOptions): Promise<void> {
  const go = onPath('go', process.env);
  if (!go) throw new Error('the schema files come from the Temporal server module: a Go toolchain is needed');
  const moduleDir = await downloadModule(go, 'go.temporal.io/server', options.serverVersion);
  for (const [kind, database] of Object.entries(POSTGRES.databases) as Array<
    ['temporal' | 'visibility', string]
  >) {
    const sql = (args: string[]): Promise<string> =>
      runTool(options.sqlToolBinary, [
        '--plugin',
        POSTGRES.plugin,
        '--endpoint',
        HOST,
        '--port',
        String(options.postgres.port),
        '--user',
        options.postgres.user,
        '--password',
        options.postgres.password,
        '--database',
        database,
        ...args,
      ]);
    // create-database ignores an existing database, and setup-schema skips one past 0.0: both are safe to
    // repeat, but a database that exists is left alone and said so.
    const exists =
      (await options.postgres.query(
        'postgres',
        `SELECT 1 FROM pg_database WHERE datname = '${database}'`,
      )) === '1';
    if (!exists) {
      await sql(['create-database']);
      await sql(['setup-schema', '-v', '0.0']);
      options.log(`Temporal: database ${database} created`);
    }
    await sql(['update-schema', '-d', path.join(moduleDir, POSTGRES.schemaDirs[kind])]);
  }
  options.log(`Temporal: schemas of ${Object.values(POSTGRES.databases).join(' and ')} up to date`);
}

export async function startTemporalServer(options: TemporalServerOptions): Promise<TemporalServer> {
  const root = path.join(options.dataDir, 'temporal');
  mkdirSync(path.join(root, 'config'), { recursive: true });
  writeFileSync(path.join(root, 'config', 'cluster.yaml'), serverConfig(options));
  const address = `${HOST}:${options.ports.temporal.frontend}`;
  let current: ManagedProcess | undefined;

  const start = async (): Promise<void> => {
    current = await startProcess({
      name: 'temporal',
      command: options.serverBinary,
      args: ['--root', root, '--config', 'config', '--env', 'cluster', '--allow-no-auth', 'start'],
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
      logDir: options.logDir,
      pidDir: pidDir(options.dataDir),
      // The frontend's port accepting connections; the describe below then proves the server is ours.
      ready: () => acceptsConnections(options.ports.temporal.frontend),
      readyTimeoutMs: 90_000,
    });
    await assertOurServer(options.cliBinary, address, current);
  };
  await start();
  return {
    address,
    process: () => {
      if (!current) throw new Error('the Temporal server is stopped');
      return current;
    },
    async restart(how) {
      const server = current;
      current = undefined;
      if (server) await (how === 'SIGKILL' ? server.kill() : server.stop(30_000));
      await start();
    },
    async stop() {
      const server = current;
      current = undefined;
      await server?.stop(30_000);
    },
  };
}

const clusterDescription = z.object({
  persistenceStore: z.string(),
  visibilityStore: z.string(),
  clusterName: z.string().optional(),
  serverVersion: z.string().optional(),
});

/** The answering server must be the process just started, on PostgreSQL: not another one on the same port. */
async function assertOurServer(cli: string, address: string, server: ManagedProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  let last = '';
  while (Date.now() < deadline) {
    if (!server.alive())
      throw new Error(`the Temporal server exited while starting:\n${server.output().slice(-3000)}`);
    try {
      const output = await runTool(cli, [
        'operator',
        'cluster',
        'describe',
        '--address',
        address,
        '-o',
        'json',
      ]);
      const described = clusterDescription.parse(JSON.parse(output));
      if (described.persistenceStore !== POSTGRES.plugin || described.visibilityStore !== POSTGRES.plugin) {
        throw new Error(
          `the Temporal server at ${address} uses ${described.persistenceStore}/${described.visibilityStore}, not ${POSTGRES.plugin}: another server holds the port`,
        );
      }
      if (described.clusterName && described.clusterName !== CLUSTER_NAME) {
        throw new Error(`the Temporal server at ${address} is cluster ${described.clusterName}, not ours`);
      }
      return;
    } catch (error) {
      if (error instanceof Error && /another server|not ours/.test(error.message)) throw error;
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`the Temporal server at ${address} did not describe itself within 60 s: ${last}`);
}

function serverConfig(options: TemporalServerOptions): string {
  const { ports, postgres } = options;
  const datastore = (database: string, maxConns: number): string[] => [
    `      sql:`,
    `        pluginName: "${POSTGRES.plugin}"`,
    `        databaseName: "${database}"`,
    `        connectAddr: "${postgres.address}"`,
    `        connectProtocol: "tcp"`,
    `        user: "${postgres.user}"`,
    `        password: "${postgres.password}"`,
    `        maxConns: ${maxConns}`,
    `        maxIdleConns: ${maxConns}`,
    `        maxConnLifetime: "1h"`,
  ];
  const service = (name: string, grpc: number, membership: number, http?: number): string[] => [
    `  ${name}:`,
    `    rpc:`,
    `      grpcPort: ${grpc}`,
    `      membershipPort: ${membership}`,
    `      bindOnIP: "${HOST}"`,
    ...(http ? [`      httpPort: ${http}`] : []),
  ];
  return [
    '# Written by `npm run cluster` (scripts/cluster/temporal-server.ts) on every start: edits are overwritten.',
    'log:',
    '  stdout: true',
    '  level: warn',
    'persistence:',
    '  defaultStore: postgres-default',
    '  visibilityStore: postgres-visibility',
    '  numHistoryShards: 4',
    '  datastores:',
    '    postgres-default:',
    ...datastore(POSTGRES.databases.temporal, 20),
    '    postgres-visibility:',
    ...datastore(POSTGRES.databases.visibility, 10),
    'global:',
    '  membership:',
    '    maxJoinDuration: 30s',
    `    broadcastAddress: "${HOST}"`,
    '  metrics:',
    '    prometheus:',
    '      framework: "tally"',
    '      timerType: "histogram"',
    `      listenAddress: "${HOST}:${ports.temporal.metrics}"`,
    'services:',
    ...service(
      'frontend',
      ports.temporal.frontend,
      ports.temporal.frontendMembership,
      ports.temporal.frontendHttp,
    ),
    ...service('matching', ports.temporal.matching, ports.temporal.matchingMembership),
    ...service('history', ports.temporal.history, ports.temporal.historyMembership),
    ...service('worker', ports.temporal.worker, ports.temporal.workerMembership),
    'clusterMetadata:',
    '  enableGlobalNamespace: false',
    '  failoverVersionIncrement: 10',
    `  masterClusterName: "${CLUSTER_NAME}"`,
    `  currentClusterName: "${CLUSTER_NAME}"`,
    '  clusterInformation:',
    `    ${CLUSTER_NAME}:`,
    '      enabled: true',
    '      initialFailoverVersion: 1',
    '      rpcName: "frontend"',
    // The database keeps this address from the first start; 1.29 rewrites it on every start from here.
    `      rpcAddress: "${HOST}:${ports.temporal.frontend}"`,
    `      httpAddress: "${HOST}:${ports.temporal.frontendHttp}"`,
    'dcRedirectionPolicy:',
    '  policy: "noop"',
    '',
  ].join('\n');
}

/** Runs a CLI tool to completion; rejects with its output when it fails. */
export function runTool(binary: string, args: string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      code === 0
        ? resolve(stdout)
        : reject(
            new Error(
              `${path.basename(binary)} ${args.map((arg) => (arg === POSTGRES.password ? '***' : arg)).join(' ')} failed (${signal ?? `exit ${code}`}): ${(stderr || stdout).trim().slice(-1500)}`,
            ),
          ),
    );
  });
}

export function acceptsConnections(port: number, host = HOST): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    socket.setTimeout(1_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}
