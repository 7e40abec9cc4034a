/**
 * One service process (API, worker, simulator, floor worker) run from its own entry point, as in production:
 * `node --import tsx <entry>` with its configuration in the environment. Output goes to a log file; stopping
 * sends SIGTERM (graceful), then SIGKILL if it lingers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { LoopDelay, MeteredProcess } from '../measure/resource-meter';
import type { ChildReply, ChildRequest } from './child-protocol';
import type { Scope } from './teardown';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const CHILD_ENTRY = path.join(__dirname, 'child-entry.ts');
const STOP_GRACE_MS = 8_000;
const READY_TIMEOUT_MS = 60_000;
/** Variables a Node process needs from the shell; everything else is set explicitly. */
const INHERITED = [
  'PATH',
  'HOME',
  'TMPDIR',
  'LANG',
  'TZ',
  'XDG_CACHE_HOME',
  'TEMPORAL_CLI_PATH',
  'MALLOC_ARENA_MAX',
];

export interface ServiceProcess extends MeteredProcess {
  logFile: string;
  /** Resolves when the process exits; rejects never. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

export interface ServiceProcessOptions {
  name: string;
  /** Entry module, relative to the repository root. */
  entry: string;
  env: Record<string, string>;
  logDir: string;
  /** Resolves when the service is ready; the process's log so far is passed for services that say so there. */
  ready(readLog: () => string): Promise<boolean>;
}

export async function startServiceProcess(
  scope: Scope,
  options: ServiceProcessOptions,
): Promise<ServiceProcess> {
  const logFile = path.join(options.logDir, `${options.name}.log`);
  const logFd = openSync(logFile, 'a');
  // One log file per service for the whole run: readiness looks only at what this process wrote.
  const logStart = statSync(logFile).size;
  const env: Record<string, string> = {};
  for (const name of INHERITED) if (process.env[name] !== undefined) env[name] = process.env[name] as string;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', CHILD_ENTRY, path.join(REPO_ROOT, options.entry)],
    {
      cwd: REPO_ROOT,
      env: { ...env, ...options.env },
      stdio: ['ignore', logFd, logFd, 'ipc'],
    },
  );
  closeSync(logFd);
  if (child.pid === undefined) throw new Error(`could not start ${options.name}`);
  const pid = child.pid;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = (): Promise<void> => stopChild(child, exited);
  scope.defer(options.name, stop);

  const readLog = (): string => readFileSync(logFile).subarray(logStart).toString('utf8');
  await waitUntilReady(options, readLog, exited);
  return { name: options.name, pid, logFile, exited, stop, loopDelay: loopDelayReader(child) };
}

async function waitUntilReady(
  options: ServiceProcessOptions,
  readLog: () => string,
  exited: Promise<number | null>,
): Promise<void> {
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) {
      throw new Error(
        `${options.name} exited with code ${exitCode} before it was ready:\n${tail(readLog())}`,
      );
    }
    if (await options.ready(readLog).catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${options.name} was not ready within ${READY_TIMEOUT_MS} ms:\n${tail(readLog())}`);
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const stopped = await Promise.race([exited.then(() => true), delay(STOP_GRACE_MS).then(() => false)]);
  if (!stopped) {
    child.kill('SIGKILL');
    await exited;
  }
}

let nextRequestId = 1;

function loopDelayReader(child: ChildProcess): () => Promise<LoopDelay | undefined> {
  return () =>
    new Promise((resolve) => {
      if (!child.connected) {
        resolve(undefined);
        return;
      }
      const id = nextRequestId++;
      const timer = setTimeout(() => {
        child.off('message', onMessage);
        resolve(undefined);
      }, 2_000);
      const onMessage = (message: ChildReply): void => {
        if (message.kind !== 'loop-delay' || message.id !== id) return;
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve({ p50Ms: round(message.p50Ms), p99Ms: round(message.p99Ms), maxMs: round(message.maxMs) });
      };
      child.on('message', onMessage);
      const request: ChildRequest = { kind: 'loop-delay', id };
      child.send(request);
    });
}

/** Readiness by HTTP: the URL answers 200. */
export function answers(url: string): () => Promise<boolean> {
  return async () => {
    const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await response.body?.cancel();
    return response.ok;
  };
}

/** Readiness by a line the service prints. */
export function printed(pattern: RegExp): (readLog: () => string) => Promise<boolean> {
  return async (readLog) => pattern.test(readLog());
}

function tail(text: string): string {
  return text.split('\n').slice(-20).join('\n');
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
