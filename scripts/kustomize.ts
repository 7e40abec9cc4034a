/**
 * Renders a kustomization: `kubectl kustomize` when kubectl is installed (it embeds kustomize), else a kustomize
 * binary built from the Go module proxy into the per-user tool cache.
 */
import { spawnSync } from 'node:child_process';
import { ensureGoTool, type GoToolOptions, type GoToolSpec } from './go-tool';
import { onPath } from './tool-cache';

export const KUSTOMIZE: GoToolSpec = {
  tool: 'kustomize',
  // v5.8.3 needs Go 1.27; this one builds with the Go 1.26 of these machines.
  version: 'v5.8.1',
  module: 'sigs.k8s.io/kustomize/kustomize/v5',
  pkg: '',
  binaryName: 'kustomize',
  expectedDuration: 'about a minute',
};

/** The command that prints a kustomization's output: `[kubectl, kustomize]` or `[<cache>/kustomize, build]`. */
export async function kustomizeCommand(options: GoToolOptions = {}): Promise<string[]> {
  const kubectl = onPath('kubectl', options.env ?? process.env);
  if (kubectl) return [kubectl, 'kustomize'];
  const built = await ensureGoTool(KUSTOMIZE, options);
  return [built.path, 'build'];
}

/** The rendered manifests of the kustomization in `dir` (a YAML stream). */
export function renderKustomization(command: string[], dir: string): string {
  const [binary, ...args] = command as [string, ...string[]];
  const result = spawnSync(binary, [...args, dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0)
    throw new Error(`${command.join(' ')} ${dir} failed: ${result.stderr || result.error}`);
  return result.stdout;
}
