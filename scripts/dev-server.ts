/**
 * Runs `temporal server start-dev` as a child process for the local stack: persistent SQLite file, Web UI,
 * the project's search attributes registered at start. A pid file lets the next start stop a server that a
 * killed stack left behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { searchAttributeCliSpecs } from '../contract';
import { isDevServer } from './dev-server-registry';

export interface DevServerOptions {
  cliPath: string;
  dbFile: string;
  ip: string;
  port: number;
  uiPort: number;
  namespace: string;
  /** Lets the Web UI decode encrypted payloads through the API's codec endpoint. */
  uiCodecEndpoint?: string;
  log?: (line: string) => void;
}

export interface RunningDevServer {
  address: string;
  uiUrl: string;
  pid: number;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

/** Stops a server whose stack was killed before it could stop it. */
function stopLeftoverServer(pidFile: string, log: (line: string) => void): void {
  if (!existsSync(pidFile)) return;
  const pid = Number.parseInt(readFileSync(pidFile, 'utf8'), 10);
  if (Number.isInteger(pid) && isDevServer(pid)) {
    log(`stopping a Temporal dev server (pid ${pid}) left running by an earlier start`);
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

async function waitUntilServing(address: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`the Temporal dev server exited with code ${child.exitCode}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      await connection.close();
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(`the Temporal dev server did not answer on ${address}`, { cause: error });
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

export async function startDevServer(options: DevServerOptions): Promise<RunningDevServer> {
  const log = options.log ?? (() => {});
  mkdirSync(path.dirname(path.resolve(options.dbFile)), { recursive: true });
  const pidFile = `${path.resolve(options.dbFile)}.pid`;
  stopLeftoverServer(pidFile, log);

  const args = [
    'server',
    'start-dev',
    '--db-filename',
    options.dbFile,
    '--ip',
    options.ip,
    '--port',
    String(options.port),
    '--ui-port',
    String(options.uiPort),
    '--namespace',
    options.namespace,
    '--log-level',
    'error',
    ...searchAttributeCliSpecs().flatMap((spec) => ['--search-attribute', spec]),
    ...(options.uiCodecEndpoint ? ['--ui-codec-endpoint', options.uiCodecEndpoint] : []),
  ];
  // Its own process group: a Ctrl-C in the terminal reaches the stack, which stops the server last, in order.
  const child = spawn(options.cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  if (child.pid === undefined) throw new Error(`could not start ${options.cliPath}`);
  writeFileSync(pidFile, String(child.pid));
  // The server's own banner duplicates ours; keep only what it says on stderr (warnings and errors).
  child.stdout?.resume();
  child.stderr?.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) log(`temporal: ${line.trim()}`);
  });

  const address = `${options.ip}:${options.port}`;
  const stop = async (): Promise<void> => {
    if (!(await waitForExit(child, 0))) {
      child.kill('SIGTERM');
      if (!(await waitForExit(child, STOP_TIMEOUT_MS))) {
        child.kill('SIGKILL');
        await waitForExit(child, STOP_TIMEOUT_MS);
      }
    }
    rmSync(pidFile, { force: true });
  };
  try {
    await waitUntilServing(address, child);
  } catch (error) {
    await stop();
    throw error;
  }
  return { address, uiUrl: `http://${options.ip}:${options.uiPort}`, pid: child.pid, stop };
}
