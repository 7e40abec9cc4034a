/**
 * Schemathesis (PyPI), the schema-driven fuzzer `npm run fuzz` runs: a pinned version installed once into a
 * virtualenv in the per-user tool cache (`~/.cache/ondato-onboarding/schemathesis/<version>/`), reused by every
 * clone. `SCHEMATHESIS_PATH` points at an existing `st` instead. Needs Python ≥ 3.9 with `venv` and pip's
 * access to PyPI the first time (about 10 s).
 */
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { explicitExecutable, isExecutable, onPath, toolCacheDir, withProgress } from './tool-cache';

export const SCHEMATHESIS_VERSION = '4.32.5';

export interface Schemathesis {
  /** The `st` executable. */
  path: string;
  source: 'SCHEMATHESIS_PATH' | 'cache' | 'installed';
}

function run(command: string, args: string[], log: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const keep = (chunk: Buffer): void => {
      tail.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      tail.splice(0, Math.max(0, tail.length - 20));
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve();
      else {
        for (const line of tail) log(`[setup]   ${line}`);
        reject(new Error(`${command} ${args.join(' ')} exited with ${code}`));
      }
    });
  });
}

export async function ensureSchemathesis(
  env: NodeJS.ProcessEnv = process.env,
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<Schemathesis> {
  const explicit = explicitExecutable('SCHEMATHESIS_PATH', env);
  if (explicit) return { path: explicit, source: 'SCHEMATHESIS_PATH' };
  const dir = toolCacheDir('schemathesis', SCHEMATHESIS_VERSION, env);
  const st = path.join(dir, 'venv', 'bin', 'st');
  if (isExecutable(st)) return { path: st, source: 'cache' };

  const python = onPath('python3', env);
  if (!python) {
    throw new Error(
      `the fuzzer needs schemathesis ${SCHEMATHESIS_VERSION}: install Python 3 (with venv) or point SCHEMATHESIS_PATH at an st executable`,
    );
  }
  log(`[setup] installing schemathesis ${SCHEMATHESIS_VERSION} from PyPI into ${dir} (once, about 10 s)`);
  const venv = path.join(dir, 'venv');
  // A half-made venv from an interrupted install would be reused forever: start clean.
  if (existsSync(venv)) rmSync(venv, { recursive: true, force: true });
  try {
    await withProgress('installing schemathesis', log, async () => {
      await run(python, ['-m', 'venv', venv], log);
      await run(
        path.join(venv, 'bin', 'pip'),
        ['install', '--quiet', '--disable-pip-version-check', `schemathesis==${SCHEMATHESIS_VERSION}`],
        log,
      );
    });
  } catch (error) {
    rmSync(venv, { recursive: true, force: true });
    throw error;
  }
  if (!isExecutable(st)) throw new Error(`schemathesis installed, but ${st} is missing`);
  log(`[setup] schemathesis ${SCHEMATHESIS_VERSION} ready: ${st}`);
  return { path: st, source: 'installed' };
}
