/**
 * The chaos stack's Temporal: `temporal server start-dev` on a SQLite file (scripts/dev-server.ts, as `npm start`
 * runs it), so it can be stopped and started again on the same file and port with every run still there. Each
 * server's pid is recorded with the chaos run's pid (scripts/dev-server-registry.ts): a chaos run killed
 * outright has its server reaped by the next one.
 */
import path from 'node:path';
import { devServerRegistry, isAlive, isDevServer } from '../scripts/dev-server-registry';
import { startDevServer, type RunningDevServer } from '../scripts/dev-server';
import { ensureTemporalCli } from '../scripts/temporal-cli';
import type { Scope } from '../bench/infra/teardown';
import { freePort } from '../bench/infra/free-port';

const registry = devServerRegistry('chaos');

export interface PersistentTemporal {
  address: string;
  namespace: string;
  dbFile: string;
  /** The current server process. */
  pid(): number;
  /** Stops the server: SIGTERM (waits for it to exit) or SIGKILL (a crash). */
  stop(how: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Starts it again on the same file and port. */
  start(): Promise<void>;
}

export async function startPersistentTemporal(
  scope: Scope,
  options: { dir: string; log: (line: string) => void },
): Promise<PersistentTemporal> {
  const cli = await ensureTemporalCli();
  const [port, uiPort] = await Promise.all([freePort(), freePort()]);
  const dbFile = path.join(options.dir, 'temporal.sqlite');
  const namespace = 'default';
  let current: RunningDevServer | undefined;

  const start = async (): Promise<void> => {
    current = await startDevServer({
      cliPath: cli.path,
      dbFile,
      ip: '127.0.0.1',
      port,
      uiPort,
      namespace,
      log: options.log,
    });
    registry.register(current.pid);
  };
  const stop = async (how: 'SIGTERM' | 'SIGKILL'): Promise<void> => {
    const server = current;
    if (!server) return;
    current = undefined;
    if (how === 'SIGKILL') {
      if (isAlive(server.pid) && isDevServer(server.pid)) process.kill(server.pid, 'SIGKILL');
      const deadline = Date.now() + 10_000;
      while (isAlive(server.pid) && Date.now() < deadline) await delay(50);
    }
    // After a SIGKILL this only reaps the child and removes the pid file.
    await server.stop();
    registry.unregister(server.pid);
  };

  scope.defer('the Temporal dev server', () => stop('SIGTERM'));
  await start();
  return {
    address: `127.0.0.1:${port}`,
    namespace,
    dbFile,
    pid: () => {
      if (!current) throw new Error('the Temporal dev server is stopped');
      return current.pid;
    },
    stop,
    start,
  };
}

/** Kills dev servers whose chaos run died without stopping them; returns how many. */
export function reapOrphanedChaosServers(): number {
  return registry.reapOrphans();
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
