/**
 * The service's own processes, from the compiled production entry points (`npm run build` → dist/): the worker
 * replicas, the API replicas and the Ondato simulator, configured through the environment as a deployment would.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { answersHttp, printed, startProcess, type ManagedProcess } from './process';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
/** What `npm run build` compiles (tsconfig.build.json) plus the build's own inputs. */
const SOURCE_DIRS = [
  'contract',
  'workflows',
  'activities',
  'ondato',
  'workers',
  'composition',
  'api',
  'simulator',
  'config',
  'codec',
  'observability',
  'scripts',
];
const BUILT = ['api/main.js', 'workers/main.js', 'simulator/main.js', 'workflow-bundle.js'];

export type ServiceKind = 'worker' | 'api' | 'simulator';
/** Node flags per kind, as the deploy manifests run them: the worker's heap is bounded (README, Performance). */
const NODE_FLAGS: Record<ServiceKind, string[]> = {
  worker: ['--max-old-space-size=384'],
  api: [],
  simulator: [],
};
const ENTRY: Record<ServiceKind, string> = {
  worker: 'workers/main.js',
  api: 'api/main.js',
  simulator: 'simulator/main.js',
};

/** `npm run build` unless dist/ is newer than every source file (a warm start skips it). */
export async function buildIfStale(
  distDir: string,
  log: (line: string) => void,
): Promise<'built' | 'up to date'> {
  const built = BUILT.map((file) => path.join(distDir, file));
  if (built.every((file) => existsSync(file))) {
    const oldestBuilt = Math.min(...built.map((file) => statSync(file).mtimeMs));
    const newestSource = Math.max(
      ...SOURCE_DIRS.map((dir) => newestMtime(path.join(REPO_ROOT, dir))),
      statSync(path.join(REPO_ROOT, 'package-lock.json')).mtimeMs,
    );
    if (newestSource < oldestBuilt) return 'up to date';
  }
  log('building the service (npm run build)...');
  await new Promise<void>((resolve, reject) => {
    const child = spawn('npm', ['run', '-s', 'build'], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`npm run build exited with code ${code}`)),
    );
  });
  return 'built';
}

function newestMtime(dir: string): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(file));
    else if (entry.name.endsWith('.ts') || entry.name.endsWith('.json'))
      newest = Math.max(newest, statSync(file).mtimeMs);
  }
  return newest;
}

export interface ServiceOptions {
  kind: ServiceKind;
  /** Unique per process, e.g. `worker-1`: names its log file. */
  name: string;
  distDir: string;
  env: NodeJS.ProcessEnv;
  logDir: string;
  pidDir: string;
  /** The API's and the simulator's port (for readiness). */
  port?: number;
}

export function startService(options: ServiceOptions): Promise<ManagedProcess> {
  const ready =
    options.kind === 'worker'
      ? // Logged at info once the worker polls its task queue.
        printed(/worker polling/)
      : answersHttp(`http://127.0.0.1:${options.port}/healthz`);
  return startProcess({
    name: options.name,
    command: process.execPath,
    args: [...NODE_FLAGS[options.kind], path.join(options.distDir, ENTRY[options.kind])],
    cwd: REPO_ROOT,
    env: options.env,
    logDir: options.logDir,
    pidDir: options.pidDir,
    ready,
    readyTimeoutMs: 90_000,
  });
}
