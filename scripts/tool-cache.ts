/**
 * What the project's tool provisioning shares (the Temporal CLI, the time-skipping test server): a per-user
 * cache keyed by tool and version, executable lookup, and progress lines while something slow runs.
 */
import { accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

/** Per-user and keyed by version, so every clone on the machine shares one copy. */
export function toolCacheDir(tool: string, version: string, env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || path.join(homedir(), '.cache');
  return path.join(base, 'ondato-onboarding', tool, version);
}

export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}

/** An explicit override must point at an executable: a wrong path is an error, not a silent fallback. */
export function explicitExecutable(variable: string, env: NodeJS.ProcessEnv): string | undefined {
  const explicit = env[variable];
  if (explicit && !isExecutable(explicit)) {
    throw new Error(`${variable}=${explicit} is not an executable file. Fix the path or unset it.`);
  }
  return explicit || undefined;
}

/** Runs `work`, logging `still <doing>... N s` every 15 s so a long first setup never looks stuck. */
export async function withProgress<T>(
  doing: string,
  log: (line: string) => void,
  work: () => Promise<T>,
): Promise<T> {
  const started = Date.now();
  const ticker = setInterval(() => {
    log(`[setup] still ${doing}... ${Math.round((Date.now() - started) / 1000)} s`);
  }, 15_000);
  try {
    return await work();
  } finally {
    clearInterval(ticker);
  }
}
