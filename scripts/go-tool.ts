/**
 * Go programs the project runs but does not ship (the Temporal server and its schema tool, the Temporal Web UI
 * server, SeaweedFS), built once from the Go module proxy into the per-user tool cache and reused after that.
 * Nothing comes from GitHub releases: these machines only reach package registries.
 *
 * Two ways to build:
 * - `install`: `go install <module>/<pkg>@<version>`, for modules whose go.mod `go install` accepts;
 * - `module-copy`: download the module, copy it, and `go build ./<pkg>` inside the copy, for modules whose
 *   go.mod carries `replace` directives (which `go install` refuses).
 */
import { spawn } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { explicitExecutable, isExecutable, onPath, toolCacheDir, withProgress } from './tool-cache';

export interface GoToolSpec {
  /** Cache key and the stem of the override variable: `temporal-server` → `TEMPORAL_SERVER_PATH`. */
  tool: string;
  version: string;
  /** The module path, e.g. `go.temporal.io/server`. */
  module: string;
  /** The main package inside the module, e.g. `cmd/server` (empty for the module root). */
  pkg: string;
  /** The binary's name in the cache (two tools whose packages are both `server` get distinct names). */
  binaryName: string;
  build?: 'install' | 'module-copy';
  /** Rough first-build time, for the progress line, e.g. 'about 3 minutes'. */
  expectedDuration?: string;
}

export type GoToolSource = 'override' | 'cache' | 'built';
export interface GoTool {
  path: string;
  source: GoToolSource;
}

export interface GoToolOptions {
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

/** `temporal-server` → `TEMPORAL_SERVER_PATH`. */
export function overrideVariable(tool: string): string {
  return `${tool.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}_PATH`;
}

export function goToolPath(spec: GoToolSpec, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(toolCacheDir(spec.tool, spec.version, env), spec.binaryName);
}

/** Looks for an existing binary only (the override, then the cache); never builds. */
export function findGoTool(spec: GoToolSpec, env: NodeJS.ProcessEnv = process.env): GoTool | undefined {
  const explicit = explicitExecutable(overrideVariable(spec.tool), env);
  if (explicit) return { path: explicit, source: 'override' };
  const cached = goToolPath(spec, env);
  if (isExecutable(cached)) return { path: cached, source: 'cache' };
  return undefined;
}

/** Returns the tool's binary, building it into the cache when missing (with progress lines while it builds). */
export async function ensureGoTool(spec: GoToolSpec, options: GoToolOptions = {}): Promise<GoTool> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const found = findGoTool(spec, env);
  if (found) return found;

  const go = onPath('go', env);
  const target = goToolPath(spec, env);
  if (!go) {
    throw new Error(
      `No ${spec.tool} binary (${overrideVariable(spec.tool)} unset, nothing at ${target}) and no Go toolchain ` +
        `to build one. Install Go 1.23+ or build ${spec.module}/${spec.pkg}@${spec.version} yourself and set ` +
        `${overrideVariable(spec.tool)} to the binary.`,
    );
  }
  const cacheDir = path.dirname(target);
  // A staging directory per process, published with a rename: a concurrent build never sees half a binary.
  const staging = `${cacheDir}.building-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const mode = spec.build ?? 'install';
  log(`[setup] building ${spec.tool} ${spec.version} with Go (${mode}) into ${cacheDir}`);
  log(
    `[setup] this happens once per machine${spec.expectedDuration ? ` and takes ${spec.expectedDuration}` : ''}; later runs reuse the binary`,
  );
  const started = Date.now();
  const goEnv = { ...env, GOFLAGS: `${env.GOFLAGS ?? ''} -buildvcs=false`.trim() };
  try {
    await withProgress(`building ${spec.tool}`, log, async () => {
      if (mode === 'install') {
        await runGo(go, ['install', `${packagePath(spec)}@${spec.version}`], {
          env: { ...goEnv, GOBIN: staging },
        });
        renameSync(path.join(staging, installedName(spec)), path.join(staging, spec.binaryName));
      } else {
        const moduleDir = await downloadModule(go, spec.module, spec.version, goEnv);
        // A fixed source path: Go's build cache keys the module's own packages by directory, so a rebuild (a
        // wiped binary, another clone) reuses them.
        const source = `${cacheDir}.src`;
        rmSync(source, { recursive: true, force: true });
        cpSync(moduleDir, source, { recursive: true });
        makeWritable(source);
        const pkg = spec.pkg ? `./${spec.pkg}` : '.';
        await runGo(go, ['build', '-o', path.join(staging, spec.binaryName), pkg], {
          env: goEnv,
          cwd: source,
        });
        rmSync(source, { recursive: true, force: true });
      }
    });
    mkdirSync(cacheDir, { recursive: true });
    renameSync(path.join(staging, spec.binaryName), target);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  log(`[setup] ${spec.tool} built in ${Math.round((Date.now() - started) / 1000)} s`);
  return { path: target, source: 'built' };
}

/** Where the module cache holds `module@version` (downloaded first when missing). */
export async function downloadModule(
  go: string,
  module: string,
  version: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const output = await runGo(go, ['mod', 'download', '-json', `${module}@${version}`], {
    env,
    capture: true,
  });
  const parsed: unknown = JSON.parse(output);
  const dir = typeof parsed === 'object' && parsed !== null ? (parsed as { Dir?: unknown }).Dir : undefined;
  if (typeof dir !== 'string' || !dir) {
    throw new Error(`go mod download ${module}@${version} gave no module directory: ${output.slice(0, 500)}`);
  }
  return dir;
}

function packagePath(spec: GoToolSpec): string {
  return spec.pkg ? `${spec.module}/${spec.pkg}` : spec.module;
}

/** `go install` names the binary after the last path element that is not a major-version suffix. */
function installedName(spec: GoToolSpec): string {
  const parts = packagePath(spec).split('/');
  const last = parts[parts.length - 1] ?? '';
  return /^v\d+$/.test(last) && parts.length > 1 ? (parts[parts.length - 2] ?? last) : last;
}

/** The module cache is read-only; the copy must be writable for the build (and for its removal). */
function makeWritable(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir)) {
    const file = path.join(dir, entry);
    if (statSync(file).isDirectory()) makeWritable(file);
    else chmodSync(file, 0o644);
  }
}

function runGo(
  go: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; cwd?: string; capture?: boolean },
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(go, args, {
      env: options.env,
      cwd: options.cwd,
      stdio: ['ignore', options.capture ? 'pipe' : 'inherit', 'inherit'],
    });
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`go ${args.join(' ')} exited with code ${code}`)),
    );
  });
}
