/**
 * One long-running program of the cluster (the Temporal server, the UI server, a worker, an API replica, the
 * simulator) as a child process: its output in its own log file, a readiness probe, and a stop that asks first
 * (SIGTERM) and insists after a grace period (SIGKILL).
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { forgetPid, recordPid } from './leftovers';

export interface ManagedProcess {
  name: string;
  pid: number;
  logFile: string;
  /** Resolves with the exit code (null after a signal) once the process is gone; never rejects. */
  exited: Promise<number | null>;
  alive(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL (a crash); resolves once the process is gone. */
  kill(): Promise<void>;
  /** What the process wrote since it started. */
  output(): string;
}

export interface StartOptions {
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd?: string;
  logDir: string;
  /** Where its pid is kept while it runs, so a later start can stop it if this cluster is killed outright. */
  pidDir: string;
  /** Resolves true once the process serves; polled every 200 ms until `readyTimeoutMs`. */
  ready(process: ManagedProcess): Promise<boolean>;
  readyTimeoutMs?: number;
}

const DEFAULT_GRACE_MS = 10_000;

export async function startProcess(options: StartOptions): Promise<ManagedProcess> {
  const logFile = path.join(options.logDir, `${options.name}.log`);
  const fd = openSync(logFile, 'a');
  // One log per program for the cluster's life: this process's output starts here.
  const logStart = statSync(logFile).size;
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', fd, fd],
    // Its own process group: a terminal's Ctrl-C reaches only the cluster script, which stops everything in order.
    detached: true,
  });
  closeSync(fd);
  const pid = child.pid;
  if (pid === undefined) {
    const error = await new Promise<Error>((resolve) => child.once('error', resolve));
    throw new Error(`could not start ${options.name} (${options.command}): ${error.message}`);
  }
  recordPid(options.pidDir, options.name, pid, options.command);
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      exitCode = code;
      forgetPid(options.pidDir, options.name, pid);
      resolve(code);
    }),
  );
  const alive = (): boolean => exitCode === undefined;
  const signalAndWait = async (signal: NodeJS.Signals, waitMs: number): Promise<boolean> => {
    if (!alive()) return true;
    child.kill(signal);
    return Promise.race([exited.then(() => true), delay(waitMs).then(() => false)]);
  };
  const managed: ManagedProcess = {
    name: options.name,
    pid,
    logFile,
    exited,
    alive,
    async stop(graceMs = DEFAULT_GRACE_MS) {
      if (!(await signalAndWait('SIGTERM', graceMs))) await signalAndWait('SIGKILL', 10_000);
    },
    async kill() {
      await signalAndWait('SIGKILL', 10_000);
    },
    output: () => readFileSync(logFile).subarray(logStart).toString('utf8'),
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (!alive()) {
      throw new Error(
        `${options.name} exited with code ${exitCode} before it was ready:\n${tail(managed.output())}`,
      );
    }
    if (await options.ready(managed).catch(() => false)) return managed;
    if (Date.now() > deadline) {
      await managed.stop(2_000);
      throw new Error(
        `${options.name} was not ready in time; the end of ${logFile}:\n${tail(managed.output())}`,
      );
    }
    await delay(200);
  }
}

/** Readiness by HTTP: the URL answers 2xx. */
export function answersHttp(url: string): () => Promise<boolean> {
  return async () => {
    const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await response.body?.cancel();
    return response.ok;
  };
}

/** Readiness by a line the program prints. */
export function printed(pattern: RegExp): (process: ManagedProcess) => Promise<boolean> {
  return async (process) => pattern.test(process.output());
}

export function tail(text: string, lines = 25): string {
  return text.split('\n').slice(-lines).join('\n');
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
