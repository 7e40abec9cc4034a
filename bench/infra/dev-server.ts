/**
 * A fresh Temporal dev server per stack, started the way the tests start theirs: the CLI binary from
 * `npm run setup` (never the SDK's download mode), the project's search attributes registered. Each server's
 * pid is recorded with its owner's, so a benchmark that was killed outright (SIGKILL: no handler runs) has its
 * servers reaped by the next run.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { ensureTemporalCli } from '../../scripts/temporal-cli';
import {
  CustomerIdKey,
  KycStatusKey,
  OndatoIdvIdKey,
  OnboardingStageKey,
  OutcomeKey,
} from '../../workflows/search-attributes';
import { childPids, commandLine, isAlive } from '../measure/proc';
import type { Scope } from './teardown';

export interface DevServer {
  address: string;
  namespace: string;
  /** The `temporal server start-dev` process, for RSS and CPU readings. */
  pid: number;
  /** A client in this process (direct signals, histories, baselines). */
  client: Client;
}

const REGISTRY_DIR = path.join(tmpdir(), 'ondato-onboarding-bench-servers');
const DEV_SERVER_MARK = 'start-dev';

export async function startDevServer(scope: Scope): Promise<DevServer> {
  const cli = await ensureTemporalCli();
  const before = new Set(childPids(process.pid, DEV_SERVER_MARK));
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: cli.path },
      ip: '127.0.0.1',
      // Its log goes to the benchmark's terminal: under overload it floods it ("Slow gRPC call", deadline
      // exceeded). Overload shows in the figures anyway (latency, errors, 202s).
      log: { format: 'pretty', level: 'error' },
      searchAttributes: [OnboardingStageKey, CustomerIdKey, OndatoIdvIdKey, KycStatusKey, OutcomeKey],
    },
  });
  const pid = childPids(process.pid, DEV_SERVER_MARK).find((candidate) => !before.has(candidate));
  if (pid !== undefined) register(pid);
  scope.defer('the Temporal dev server', async () => {
    await env.teardown();
    if (pid !== undefined) {
      // teardown() stops the server; make sure, since a leaked server keeps its port and memory.
      if (isAlive(pid) && commandLine(pid).includes(DEV_SERVER_MARK)) process.kill(pid, 'SIGKILL');
      unregister(pid);
    }
  });
  if (pid === undefined) throw new Error('started a dev server but could not find its process');
  return { address: env.address, namespace: env.namespace ?? 'default', pid, client: env.client };
}

function register(serverPid: number): void {
  mkdirSync(REGISTRY_DIR, { recursive: true });
  writeFileSync(
    path.join(REGISTRY_DIR, String(serverPid)),
    JSON.stringify({ ownerPid: process.pid, serverPid }),
  );
}

function unregister(serverPid: number): void {
  rmSync(path.join(REGISTRY_DIR, String(serverPid)), { force: true });
}

/** Kills dev servers whose benchmark died without stopping them; returns how many. */
export function reapOrphanedDevServers(): number {
  let entries: string[];
  try {
    entries = readdirSync(REGISTRY_DIR);
  } catch {
    return 0;
  }
  let reaped = 0;
  for (const entry of entries) {
    const file = path.join(REGISTRY_DIR, entry);
    try {
      const { ownerPid, serverPid } = JSON.parse(readFileSync(file, 'utf8')) as {
        ownerPid: number;
        serverPid: number;
      };
      if (isAlive(ownerPid)) continue;
      // Guards against pid reuse: only a process that still is a dev server is killed.
      if (isAlive(serverPid) && commandLine(serverPid).includes(DEV_SERVER_MARK)) {
        process.kill(serverPid, 'SIGKILL');
        reaped += 1;
      }
    } catch {
      // An unreadable entry is dropped.
    }
    rmSync(file, { force: true });
  }
  return reaped;
}
