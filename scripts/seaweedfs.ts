/**
 * SeaweedFS (Apache-2.0), a real S3-compatible server for the S3 document store's tests and for the production
 * topology on one machine (`npm run cluster`). Built once from the Go module proxy into the per-user tool cache,
 * like the Temporal CLI; started as one `weed server -s3` process on loopback ports.
 *
 * `go install` refuses this module (its go.mod has replace directives), so the build runs inside a writable
 * copy of the downloaded module.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  cpSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { z } from 'zod';
import { isAlive } from './dev-server-registry';
import { explicitExecutable, isExecutable, onPath, toolCacheDir, withProgress } from './tool-cache';

export const SEAWEEDFS_VERSION = 'v0.0.0-20261109003541-7506e5f91cd6';
const MODULE = 'github.com/seaweedfs/seaweedfs';
const execFileAsync = promisify(execFile);

export type SeaweedfsSource = 'SEAWEEDFS_PATH' | 'cache' | 'built';
export interface SeaweedfsBinary {
  path: string;
  source: SeaweedfsSource;
}

export function seaweedfsCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return toolCacheDir('seaweedfs', SEAWEEDFS_VERSION, env);
}

/** Looks for an existing binary only; never builds. */
export function findSeaweedfs(env: NodeJS.ProcessEnv = process.env): SeaweedfsBinary | undefined {
  const explicit = explicitExecutable('SEAWEEDFS_PATH', env);
  if (explicit) return { path: explicit, source: 'SEAWEEDFS_PATH' };
  const cached = path.join(seaweedfsCacheDir(env), 'weed');
  if (isExecutable(cached)) return { path: cached, source: 'cache' };
  return undefined;
}

const MANUAL_INSTALL_HINT = [
  'Build SeaweedFS by hand, then set SEAWEEDFS_PATH to the binary:',
  `  go mod download -json ${MODULE}@${SEAWEEDFS_VERSION}   # prints "Dir"`,
  '  cp -r <Dir> <somewhere writable> && cd <there> && chmod -R u+w . && go build -o <bin>/weed ./weed',
].join('\n');

const moduleDownloadSchema = z.object({ Dir: z.string().min(1) });

function run(
  command: string,
  args: string[],
  options: { cwd?: string; env: NodeJS.ProcessEnv },
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${command} ${args.join(' ')} exited with code ${code}.\n${MANUAL_INSTALL_HINT}`)),
    );
  });
}

/** Returns a binary, building one into the cache when none exists. Prints progress while it builds. */
export async function ensureSeaweedfs(
  env: NodeJS.ProcessEnv = process.env,
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<SeaweedfsBinary> {
  const found = findSeaweedfs(env);
  if (found) return found;

  const go = onPath('go', env);
  if (!go) {
    throw new Error(
      `No SeaweedFS binary found (SEAWEEDFS_PATH, ${seaweedfsCacheDir(env)}) and no Go toolchain to build one.\n${MANUAL_INSTALL_HINT}`,
    );
  }
  const target = seaweedfsCacheDir(env);
  // A fixed source path: Go's build cache keys the module's own packages by directory, so a second build
  // (another clone, a wiped binary) reuses the compiled packages.
  const source = `${target}.src`;
  const staging = `${target}.building-${process.pid}`;
  const goEnv = { ...env, GOFLAGS: `${env.GOFLAGS ?? ''} -buildvcs=false`.trim() };
  log(`[setup] building SeaweedFS ${SEAWEEDFS_VERSION} with Go into ${target}`);
  log('[setup] this happens once per machine and takes about 5 to 10 minutes; later runs reuse the binary');
  const started = Date.now();

  const downloaded = await withProgress('downloading the SeaweedFS module', log, async () => {
    const { stdout } = await execFileAsync(
      go,
      ['mod', 'download', '-json', `${MODULE}@${SEAWEEDFS_VERSION}`],
      { env: goEnv, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
    ).catch((error: unknown) => {
      const output = error instanceof Error ? error.message : String(error);
      throw new Error(`go mod download failed:\n${output}\n${MANUAL_INSTALL_HINT}`);
    });
    return moduleDownloadSchema.parse(JSON.parse(stdout));
  });

  rmSync(source, { recursive: true, force: true });
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    // The module cache is read-only; the build wants to settle go.sum, so it runs in a writable copy.
    cpSync(downloaded.Dir, source, { recursive: true });
    spawnSync('chmod', ['-R', 'u+w', source]);
    await withProgress('building SeaweedFS', log, () =>
      run(go, ['build', '-o', path.join(staging, 'weed'), './weed'], { cwd: source, env: goEnv }),
    );
    // Publish with a rename so a concurrent setup never sees a half-written binary.
    mkdirSync(target, { recursive: true });
    renameSync(path.join(staging, 'weed'), path.join(target, 'weed'));
  } finally {
    rmSync(staging, { recursive: true, force: true });
    rmSync(source, { recursive: true, force: true });
  }
  log(`[setup] SeaweedFS built in ${Math.round((Date.now() - started) / 1000)} s`);
  return { path: path.join(target, 'weed'), source: 'built' };
}

/** The listening ports of one `weed server`; HTTP and gRPC for each of its parts. */
export interface SeaweedfsPorts {
  s3: number;
  s3Grpc: number;
  master: number;
  masterGrpc: number;
  volume: number;
  volumeGrpc: number;
  filer: number;
  filerGrpc: number;
}

export interface SeaweedfsOptions {
  binaryPath: string;
  /** Where volumes, the filer's metadata, the identities file and the log live; kept across restarts. */
  dataDir: string;
  accessKey: string;
  secretKey: string;
  /** Created at start (an existing one is kept); the first one also receives the readiness probe. */
  buckets: readonly [string, ...string[]];
  /** Fixed ports (a restart that keeps its state should keep its ports too); the others are picked free. */
  ports?: Partial<SeaweedfsPorts>;
  /** Enables SSE-S3 (`x-amz-server-side-encryption: AES256`): the server derives its key from this secret. */
  sseKey?: string;
  readyTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface RunningSeaweedfs {
  /** The S3 endpoint, e.g. http://127.0.0.1:8333 (path-style addressing). */
  endpoint: string;
  region: string;
  ports: SeaweedfsPorts;
  pid: number;
  logFile: string;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
/** SeaweedFS ignores the region; the SDK needs one to sign with. */
export const SEAWEEDFS_REGION = 'us-east-1';
const READY_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 10_000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

function assertPortFree(port: number, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', () =>
      reject(
        new Error(
          `SeaweedFS ${name} port ${HOST}:${port} is already in use: stop what holds it or pick another`,
        ),
      ),
    );
    server.listen(port, HOST, () => server.close(() => resolve()));
  });
}

async function resolvePorts(fixed: Partial<SeaweedfsPorts>): Promise<SeaweedfsPorts> {
  const names: Array<keyof SeaweedfsPorts> = [
    's3',
    's3Grpc',
    'master',
    'masterGrpc',
    'volume',
    'volumeGrpc',
    'filer',
    'filerGrpc',
  ];
  const ports = {} as SeaweedfsPorts;
  const taken = new Set<number>();
  for (const name of names) {
    const explicit = fixed[name];
    if (explicit !== undefined) {
      await assertPortFree(explicit, name);
      ports[name] = explicit;
    } else {
      let port = await freePort();
      while (taken.has(port) || Object.values(fixed).includes(port)) port = await freePort();
      ports[name] = port;
    }
    taken.add(ports[name]);
  }
  return ports;
}

/** Guards against pid reuse: only a process that still is a weed server counts as one. */
function isWeedServer(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('server') && isAlive(pid);
  } catch {
    return false;
  }
}

/**
 * A server whose owner was killed (SIGKILL runs no handler) holds the data directory's locks and its ports:
 * stop it before starting again, or before wiping the directory (tests reuse one directory for this reason).
 */
export function stopLeftoverSeaweedfs(dataDir: string, log: (line: string) => void = () => {}): void {
  stopLeftoverServer(path.join(path.resolve(dataDir), 'weed.pid'), log);
}

function stopLeftoverServer(pidFile: string, log: (line: string) => void): void {
  if (!existsSync(pidFile)) return;
  const pid = Number.parseInt(readFileSync(pidFile, 'utf8'), 10);
  if (Number.isInteger(pid) && isWeedServer(pid)) {
    log(`stopping a SeaweedFS server (pid ${pid}) left running by an earlier start`);
    process.kill(pid, 'SIGKILL');
  }
  rmSync(pidFile, { force: true });
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

function tailOf(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Ready means a signed write succeeds: /healthz answers seconds before the volume servers take writes (about
 * 11 s after a fresh start). Creates the buckets on the way.
 */
async function waitUntilWritable(
  client: S3Client,
  buckets: readonly string[],
  child: ChildProcess,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  const created = new Set<string>();
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`SeaweedFS exited (${child.exitCode ?? child.signalCode}) before it was ready`);
    }
    try {
      for (const bucket of buckets) {
        if (created.has(bucket)) continue;
        try {
          await client.send(new CreateBucketCommand({ Bucket: bucket }));
        } catch (error) {
          const known = error instanceof S3ServiceException ? error.name : '';
          if (known !== 'BucketAlreadyOwnedByYou' && known !== 'BucketAlreadyExists') throw error;
        }
        created.add(bucket);
      }
      const probe = { Bucket: buckets[0], Key: `.ready-probe-${process.pid}` };
      await client.send(new PutObjectCommand({ ...probe, Body: 'ready' }));
      await client.send(new DeleteObjectCommand(probe));
      return;
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  throw new Error(`SeaweedFS did not accept a write within ${Math.round(timeoutMs / 1000)} s`, {
    cause: lastError,
  });
}

/** Starts `weed server -s3` with one identity (the given keys, all actions) and waits until it takes writes. */
export async function startSeaweedfs(options: SeaweedfsOptions): Promise<RunningSeaweedfs> {
  const log = options.log ?? (() => {});
  const dataDir = path.resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const pidFile = path.join(dataDir, 'weed.pid');
  stopLeftoverServer(pidFile, log);
  const ports = await resolvePorts(options.ports ?? {});

  const identitiesFile = path.join(dataDir, 's3-identities.json');
  const identities = {
    identities: [
      {
        name: 'onboarding',
        credentials: [{ accessKey: options.accessKey, secretKey: options.secretKey }],
        actions: ['Admin', 'Read', 'Write', 'List', 'Tagging'],
      },
    ],
  };
  writeFileSync(identitiesFile, JSON.stringify(identities), { mode: 0o600 });

  const args = [
    'server',
    `-dir=${dataDir}`,
    `-ip=${HOST}`,
    `-ip.bind=${HOST}`,
    // The default reports usage to a public endpoint: these machines reach package registries only.
    '-master.telemetry=false',
    `-master.port=${ports.master}`,
    `-master.port.grpc=${ports.masterGrpc}`,
    // Small volumes: the default (30 GB each) would reserve far more than a test or a local cluster writes.
    '-master.volumeSizeLimitMB=1024',
    `-volume.port=${ports.volume}`,
    `-volume.port.grpc=${ports.volumeGrpc}`,
    '-volume.max=0',
    '-filer',
    `-filer.port=${ports.filer}`,
    `-filer.port.grpc=${ports.filerGrpc}`,
    `-filer.localSocket=${path.join(dataDir, 'filer.sock')}`,
    '-s3',
    `-s3.port=${ports.s3}`,
    `-s3.port.grpc=${ports.s3Grpc}`,
    '-s3.port.iceberg=0',
    '-s3.port.lance=0',
    `-s3.localSocket=${path.join(dataDir, 's3.sock')}`,
    `-s3.config=${identitiesFile}`,
  ];
  const logFile = path.join(dataDir, 'weed.log');
  const logStream = createWriteStream(logFile, { flags: 'a' });
  await new Promise<void>((resolve, reject) => {
    logStream.once('open', () => resolve());
    logStream.once('error', reject);
  });
  const child = spawn(options.binaryPath, args, {
    cwd: dataDir,
    env: { ...process.env, ...(options.sseKey ? { WEED_S3_SSE_KEY: options.sseKey } : {}) },
    stdio: ['ignore', logStream, logStream],
    // Its own process group: a Ctrl-C in the terminal reaches the owner, which stops the server in order.
    detached: true,
  });
  if (child.pid === undefined) throw new Error(`could not start ${options.binaryPath}`);
  const pid = child.pid;
  writeFileSync(pidFile, String(pid));

  const stop = async (): Promise<void> => {
    if (!(await waitForExit(child, 0))) {
      child.kill('SIGTERM');
      if (!(await waitForExit(child, STOP_TIMEOUT_MS))) {
        child.kill('SIGKILL');
        await waitForExit(child, STOP_TIMEOUT_MS);
      }
    }
    rmSync(pidFile, { force: true });
    logStream.end();
  };

  const endpoint = `http://${HOST}:${ports.s3}`;
  const client = new S3Client({
    endpoint,
    region: SEAWEEDFS_REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: options.accessKey, secretAccessKey: options.secretKey },
    maxAttempts: 1,
  });
  try {
    await waitUntilWritable(client, options.buckets, child, options.readyTimeoutMs ?? READY_TIMEOUT_MS);
  } catch (error) {
    await stop();
    throw new Error(
      `${error instanceof Error ? error.message : String(error)}\nlast lines of ${logFile}:\n${tailOf(logFile)}`,
      { cause: error },
    );
  } finally {
    client.destroy();
  }
  log(`SeaweedFS S3 at ${endpoint} (pid ${pid}, data in ${dataDir})`);
  return { endpoint, region: SEAWEEDFS_REGION, ports, pid, logFile, stop };
}

/** `tsx scripts/seaweedfs.ts`: builds the binary if needed and prints its path (`npm run test:s3` runs it first). */
if (require.main === module) {
  ensureSeaweedfs()
    .then((binary) => process.stdout.write(`[setup] SeaweedFS ${binary.path} (${binary.source})\n`))
    .catch((error: unknown) => {
      process.stderr.write(`[setup] ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    });
}
