/**
 * A fresh Temporal dev server per stack, started the way the tests start theirs: the CLI binary from
 * `npm run setup` (never the SDK's download mode), the project's search attributes registered. Each server's
 * pid is recorded with its owner's, so a benchmark that was killed outright (SIGKILL: no handler runs) has its
 * servers reaped by the next run.
 */
import type { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { ensureTemporalCli } from '../../scripts/temporal-cli';
import { SEARCH_ATTRIBUTE_KEYS } from '../../contract';
import {
  devServerChildren,
  devServerRegistry,
  isAlive,
  isDevServer,
} from '../../scripts/dev-server-registry';
import type { Scope } from './teardown';

export interface DevServer {
  address: string;
  namespace: string;
  /** The `temporal server start-dev` process, for RSS and CPU readings. */
  pid: number;
  /** A client in this process (direct signals, histories, baselines). */
  client: Client;
}

const registry = devServerRegistry('bench');

export async function startDevServer(scope: Scope): Promise<DevServer> {
  const cli = await ensureTemporalCli();
  const before = new Set(devServerChildren(process.pid));
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: cli.path },
      ip: '127.0.0.1',
      // Its log goes to the benchmark's terminal: under overload it floods it ("Slow gRPC call", deadline
      // exceeded). Overload shows in the figures anyway (latency, errors, 202s).
      log: { format: 'pretty', level: 'error' },
      searchAttributes: [...SEARCH_ATTRIBUTE_KEYS],
    },
  });
  const pid = devServerChildren(process.pid).find((candidate) => !before.has(candidate));
  if (pid !== undefined) registry.register(pid);
  scope.defer('the Temporal dev server', async () => {
    await env.teardown();
    if (pid !== undefined) {
      // teardown() stops the server; make sure, since a leaked server keeps its port and memory.
      if (isAlive(pid) && isDevServer(pid)) process.kill(pid, 'SIGKILL');
      registry.unregister(pid);
    }
  });
  if (pid === undefined) throw new Error('started a dev server but could not find its process');
  return { address: env.address, namespace: env.namespace ?? 'default', pid, client: env.client };
}

/** Kills dev servers whose benchmark died without stopping them; returns how many. */
export function reapOrphanedDevServers(): number {
  return registry.reapOrphans();
}
