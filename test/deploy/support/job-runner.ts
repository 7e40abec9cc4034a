/**
 * Runs a compose one-shot job's entrypoint + command on this machine, as the container would: the service's
 * environment, its bind mounts mapped back to the host, and on PATH stand-ins for the container's tools
 * (stand-in.cjs) that record every call. So what the job runs is exactly what the compose file says, after
 * YAML and the compose tool had their way with it (a folded line included).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bindMounts, type ComposeService } from './compose-file';

const STAND_IN = path.join(__dirname, 'stand-in.cjs');
export const STAND_IN_TOOLS = ['temporal', 'temporal-sql-tool', 'curl'] as const;

export interface StandInCall {
  tool: string;
  args: string[];
}

export interface JobRun {
  status: number | null;
  stdout: string;
  stderr: string;
  calls: StandInCall[];
  state: Record<string, unknown>;
}

export interface JobOptions {
  /** The stand-ins' starting state (e.g. an attribute already registered with another type). */
  state?: Record<string, unknown>;
  /** Makes the stand-in call whose argv contains this fail. */
  fail?: string;
  /** Variables on top of the service's own (e.g. a host path where the image has a directory). */
  env?: Record<string, string>;
  /** Real tools to put first on PATH instead of stand-ins (e.g. the real Temporal CLI's directory). */
  pathPrefix?: string[];
}

/** A directory of stand-in executables: `exec node stand-in.cjs <tool> "$@"`. */
function standInDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'compose-stand-ins-'));
  for (const tool of STAND_IN_TOOLS) {
    const file = path.join(dir, tool);
    writeFileSync(file, `#!/bin/sh\nexec '${process.execPath}' '${STAND_IN}' ${tool} "$@"\n`);
    chmodSync(file, 0o755);
  }
  return dir;
}

/** The container paths of the service's bind mounts, rewritten to the host folders they come from. */
function mapPaths(service: ComposeService, value: string): string {
  let mapped = value;
  for (const { source, target } of bindMounts(service))
    mapped = mapped.split(`${target}/`).join(`${source}/`);
  return mapped;
}

export function jobArgv(service: ComposeService): string[] {
  const argv = [...(service.entrypoint ?? []), ...(service.command ?? [])];
  if (argv.length === 0) throw new Error('the job has neither entrypoint nor command');
  return argv.map((arg) => mapPaths(service, arg));
}

export function runJob(service: ComposeService, options: JobOptions = {}): JobRun {
  const dir = standInDir();
  const statePath = path.join(dir, 'state.json');
  const logPath = path.join(dir, 'calls.jsonl');
  writeFileSync(statePath, JSON.stringify(options.state ?? {}));
  writeFileSync(logPath, '');
  const serviceEnv = Object.fromEntries(
    Object.entries(service.environment).map(([name, value]) => [name, mapPaths(service, value ?? '')]),
  );
  const [command, ...args] = jobArgv(service);
  const result = spawnSync(command as string, args, {
    encoding: 'utf8',
    timeout: 30_000,
    env: {
      ...serviceEnv,
      // Retries stay bounded and instant here; the compose defaults wait minutes for a slow container.
      WAIT_ATTEMPTS: '3',
      WAIT_SECONDS: '0',
      ...options.env,
      PATH: [...(options.pathPrefix ?? []), dir, '/usr/bin', '/bin'].join(':'),
      STAND_IN_STATE: statePath,
      STAND_IN_LOG: logPath,
      ...(options.fail ? { STAND_IN_FAIL: options.fail } : {}),
    },
  });
  const calls = readFileSync(logPath, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as StandInCall);
  const state = JSON.parse(readFileSync(statePath, 'utf8')) as Record<string, unknown>;
  rmSync(dir, { recursive: true, force: true });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, calls, state };
}
