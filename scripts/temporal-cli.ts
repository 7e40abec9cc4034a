/**
 * Finds the Temporal CLI (which embeds the dev server and its Web UI), building it from the Go module proxy
 * when no binary is available. Nothing is downloaded from the internet: the SDK's `cached-download` mode is
 * never used, because these machines only reach package registries.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { explicitExecutable, isExecutable, onPath, toolCacheDir, withProgress } from './tool-cache';

/** Later tags carry a `replace` directive that `go install` refuses, so this version is pinned. */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
const MODULE = 'github.com/temporalio/cli/cmd/temporal';

export type CliSource = 'TEMPORAL_CLI_PATH' | 'PATH' | 'cache' | 'built';
export interface TemporalCli {
  path: string;
  source: CliSource;
}

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return toolCacheDir('temporal-cli', TEMPORAL_CLI_VERSION, env);
}

/** Looks for an existing binary only; never builds. */
export function findTemporalCli(env: NodeJS.ProcessEnv = process.env): TemporalCli | undefined {
  const explicit = explicitExecutable('TEMPORAL_CLI_PATH', env);
  if (explicit) return { path: explicit, source: 'TEMPORAL_CLI_PATH' };
  const fromPath = onPath('temporal', env);
  if (fromPath) return { path: fromPath, source: 'PATH' };
  const cached = path.join(cacheDir(env), 'temporal');
  if (isExecutable(cached)) return { path: cached, source: 'cache' };
  return undefined;
}

const MANUAL_INSTALL_HINT = [
  'Install the Temporal CLI by hand, then run this again:',
  `  - with Go (1.23+): GOBIN=<dir> go install ${MODULE}@${TEMPORAL_CLI_VERSION}, then put <dir> on PATH`,
  '  - or download a release from https://github.com/temporalio/cli/releases and set TEMPORAL_CLI_PATH',
].join('\n');

/** Returns a binary, building one into the cache when none exists. Prints progress while it builds. */
export async function ensureTemporalCli(
  env: NodeJS.ProcessEnv = process.env,
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<TemporalCli> {
  const found = findTemporalCli(env);
  if (found) return found;

  const go = onPath('go', env);
  if (!go) {
    throw new Error(
      `No Temporal CLI found (TEMPORAL_CLI_PATH, PATH, ${cacheDir(env)}) and no Go toolchain to build one.\n${MANUAL_INSTALL_HINT}`,
    );
  }
  const target = cacheDir(env);
  const staging = `${target}.building-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  log(`[setup] building the Temporal CLI ${TEMPORAL_CLI_VERSION} with Go into ${target}`);
  log('[setup] this happens once per machine and takes about 3 minutes; later runs reuse the binary');

  const started = Date.now();
  await withProgress(
    'building the Temporal CLI',
    log,
    () =>
      new Promise<void>((resolve, reject) => {
        const child = spawn(go, ['install', `${MODULE}@${TEMPORAL_CLI_VERSION}`], {
          env: { ...env, GOBIN: staging, GOFLAGS: `${env.GOFLAGS ?? ''} -buildvcs=false`.trim() },
          stdio: ['ignore', 'inherit', 'inherit'],
        });
        child.on('error', reject);
        child.on('exit', (code) =>
          code === 0
            ? resolve()
            : reject(new Error(`go install exited with code ${code}.\n${MANUAL_INSTALL_HINT}`)),
        );
      }),
  );
  // Publish with a rename so a concurrent setup never sees a half-written binary.
  mkdirSync(target, { recursive: true });
  renameSync(path.join(staging, 'temporal'), path.join(target, 'temporal'));
  rmSync(staging, { recursive: true, force: true });
  log(`[setup] Temporal CLI built in ${Math.round((Date.now() - started) / 1000)} s`);
  return { path: path.join(target, 'temporal'), source: 'built' };
}

/** The version line of a binary, e.g. `temporal version 0.0.0-DEV (Server 1.29.1, UI 2.42.1)`. */
export function cliVersion(cli: TemporalCli): string {
  const result = spawnSync(cli.path, ['--version'], { encoding: 'utf8' });
  return (result.stdout || result.stderr || '').trim();
}
