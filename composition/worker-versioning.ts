/**
 * Worker Versioning: which worker deployment and build a worker declares. Onboardings wait for days, so every
 * run is PINNED: it finishes on the build that started it, and a new build only ever sees new runs.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { WorkerDeploymentOptions } from '@temporalio/worker';
import { z } from 'zod';
import type { WorkerVersioningSettings } from '../config';

const ROOT = path.resolve(__dirname, '..');

const packageJsonSchema = z.object({ version: z.string().min(1) });

export interface WorkerDeployment {
  deploymentName: string;
  buildId: string;
}

function git(...args: string[]): string | undefined {
  try {
    return execFileSync('git', args, {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    // No git binary or no repository (an image): the caller asks for TEMPORAL_BUILD_ID instead.
    return undefined;
  }
}

/**
 * `<package version>-<git revision>`, with `-dirty` when the checkout has uncommitted changes (its code is not
 * the revision's); undefined when there is no git checkout to read a revision from.
 */
export function defaultBuildId(): string | undefined {
  const revision = git('rev-parse', '--short=12', 'HEAD');
  if (!revision) return undefined;
  const { version } = packageJsonSchema.parse(
    JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')),
  );
  const dirty = (git('status', '--porcelain', '--untracked-files=no') ?? '').length > 0;
  return `${version}-${revision}${dirty ? '-dirty' : ''}`;
}

/** The deployment and build this worker declares; throws when versioning is on and no build id can be known. */
export function resolveWorkerDeployment(settings: WorkerVersioningSettings): WorkerDeployment {
  const buildId = settings.buildId ?? defaultBuildId();
  if (!buildId) {
    throw new Error(
      'TEMPORAL_BUILD_ID: required when TEMPORAL_WORKER_VERSIONING=on and there is no git checkout to derive it from',
    );
  }
  return { deploymentName: settings.deploymentName, buildId };
}

/** The worker option, or undefined when versioning is off (the worker then polls unversioned, as before). */
export function workerDeploymentOptions(
  settings: WorkerVersioningSettings,
): { options: WorkerDeploymentOptions; deployment: WorkerDeployment } | undefined {
  if (!settings.enabled) return undefined;
  const deployment = resolveWorkerDeployment(settings);
  return {
    deployment,
    options: {
      useWorkerVersioning: true,
      version: deployment,
      // A run replays on the code that wrote its history: no `patched()` needed for runs that predate a build.
      defaultVersioningBehavior: 'PINNED',
    },
  };
}

/** How visibility spells a version: `TemporalWorkerDeploymentVersion = '<deployment>:<build>'`. */
export function deploymentVersionKey(deployment: WorkerDeployment): string {
  return `${deployment.deploymentName}:${deployment.buildId}`;
}
