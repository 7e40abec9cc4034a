/**
 * The cluster's PostgreSQL 15 (Debian's package): its own data directory under the cluster's, listening on
 * loopback TCP only, one superuser with a password. As root it runs as the `postgres` user (PostgreSQL refuses
 * to run as root); otherwise as the current user. `pg_ctl` detaches the server: a cluster killed outright
 * leaves it running, and the next start finds it by its data directory and reuses it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { POSTGRES, VERSIONS } from '../../deploy/topology';
import { isExecutable } from '../tool-cache';
import { HOST } from './ports';

export interface PostgresOptions {
  dataDir: string;
  port: number;
  log: (line: string) => void;
}

export interface RunningPostgres {
  port: number;
  /** `host:port`, as Temporal's config wants it. */
  address: string;
  user: string;
  password: string;
  /** Runs one SQL statement with psql over TCP; resolves with its unaligned, tuples-only output. */
  query(database: string, sql: string): Promise<string>;
  stop(): Promise<void>;
}

const BIN_DIR = `/usr/lib/postgresql/${VERSIONS.postgres}/bin`;

export async function startPostgres(options: PostgresOptions): Promise<RunningPostgres> {
  ensureInstalled(options.log);
  const asPostgresUser = process.getuid?.() === 0;
  const pgData = path.join(options.dataDir, 'pgdata');
  const logFile = path.join(options.dataDir, 'postgres.log');
  mkdirSync(options.dataDir, { recursive: true });
  if (asPostgresUser) chownToPostgres(options.dataDir);

  if (!existsSync(path.join(pgData, 'PG_VERSION'))) {
    options.log(`PostgreSQL: creating the database cluster in ${pgData}`);
    const passwordFile = path.join(options.dataDir, '.pwfile');
    writeFileSync(passwordFile, `${POSTGRES.password}\n`, { mode: 0o600 });
    if (asPostgresUser) chownToPostgres(passwordFile);
    await run(
      'initdb',
      [
        '-D',
        pgData,
        '-U',
        POSTGRES.user,
        `--pwfile=${passwordFile}`,
        '--auth-host=scram-sha-256',
        '--auth-local=scram-sha-256',
        '--encoding=UTF8',
        '--no-instructions',
      ],
      asPostgresUser,
    );
  }

  const status = spawnSync(...command('pg_ctl', ['status', '-D', pgData], asPostgresUser), {
    encoding: 'utf8',
  });
  if (status.status === 0) {
    options.log(`PostgreSQL: already running on ${pgData} (left by an earlier cluster); reusing it`);
  } else {
    const settings = [
      `-c listen_addresses=${HOST}`,
      `-c port=${options.port}`,
      // No Unix socket: nothing outside the data directory, and every client comes over TCP with the password.
      "-c unix_socket_directories=''",
      '-c max_connections=200',
    ].join(' ');
    await run(
      'pg_ctl',
      ['start', '-w', '-t', '60', '-D', pgData, '-l', logFile, '-o', settings],
      asPostgresUser,
    );
  }
  return {
    port: options.port,
    address: `${HOST}:${options.port}`,
    user: POSTGRES.user,
    password: POSTGRES.password,
    query: (database, sql) => psql(options.port, database, sql),
    async stop() {
      await run('pg_ctl', ['stop', '-w', '-m', 'fast', '-D', pgData], asPostgresUser);
    },
  };
}

/** Stops a server left running on this data directory by a cluster that was killed outright (no-op otherwise). */
export async function stopLeftoverPostgres(dataDir: string): Promise<boolean> {
  const pgData = path.join(dataDir, 'pgdata');
  if (!existsSync(path.join(pgData, 'postmaster.pid'))) return false;
  const asPostgresUser = process.getuid?.() === 0;
  const status = spawnSync(...command('pg_ctl', ['status', '-D', pgData], asPostgresUser), {
    encoding: 'utf8',
  });
  if (status.status !== 0) return false;
  await run('pg_ctl', ['stop', '-w', '-m', 'fast', '-D', pgData], asPostgresUser);
  return true;
}

function ensureInstalled(log: (line: string) => void): void {
  if (isExecutable(path.join(BIN_DIR, 'initdb'))) return;
  if (process.getuid?.() !== 0) {
    throw new Error(
      `PostgreSQL ${VERSIONS.postgres} is not installed (${BIN_DIR}). Install it (Debian: sudo apt-get install -y postgresql-${VERSIONS.postgres}) and run this again.`,
    );
  }
  log(`PostgreSQL ${VERSIONS.postgres} missing: apt-get install -y postgresql-${VERSIONS.postgres}`);
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', `postgresql-${VERSIONS.postgres}`],
  ]) {
    const result = spawnSync('apt-get', args, {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    if (result.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed (exit ${result.status})`);
  }
}

function chownToPostgres(file: string): void {
  const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (id.status !== 0 || gid.status !== 0) {
    throw new Error('running as root needs the `postgres` user (created by the postgresql package)');
  }
  chownSync(file, Number(id.stdout.trim()), Number(gid.stdout.trim()));
}

function command(tool: string, args: string[], asPostgresUser: boolean): [string, string[]] {
  const binary = path.join(BIN_DIR, tool);
  return asPostgresUser ? ['runuser', ['-u', 'postgres', '--', binary, ...args]] : [binary, args];
}

function run(tool: string, args: string[], asPostgresUser: boolean): Promise<void> {
  const [file, argv] = command(tool, args, asPostgresUser);
  return new Promise((resolve, reject) => {
    // pg_ctl's detached server inherits these pipes: ignore them, or they stay open for its whole life.
    const child = spawn(file, argv, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${tool} ${args.join(' ')} failed (exit ${code}): ${stderr.trim()}`)),
    );
  });
}

function psql(port: number, database: string, sql: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      path.join(BIN_DIR, 'psql'),
      [
        '-h',
        HOST,
        '-p',
        String(port),
        '-U',
        POSTGRES.user,
        '-d',
        database,
        '-At',
        '-v',
        'ON_ERROR_STOP=1',
        '-c',
        sql,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PGPASSWORD: POSTGRES.password } },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(stdout.trim()) : reject(new Error(`psql failed (exit ${code}): ${stderr.trim()}`)),
    );
  });
}
