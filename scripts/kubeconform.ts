/**
 * kubeconform, the Kubernetes manifest validator, built from the Go module proxy into the per-user tool cache
 * and run against schemas made offline from the Kubernetes module (scripts/kubernetes-schemas.ts): nothing is
 * fetched from GitHub, which these machines cannot reach.
 *
 *   npx tsx scripts/kubeconform.ts [kustomization dir ...]   # default: deploy/k8s/overlays/example
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { z } from 'zod';
import { ensureGoTool, type GoToolOptions, type GoToolSpec } from './go-tool';
import { ensureKubernetesSchemas, KUBERNETES_VERSION, SCHEMA_FILE_TEMPLATE } from './kubernetes-schemas';
import { kustomizeCommand, renderKustomization } from './kustomize';

export const KUBECONFORM: GoToolSpec = {
  tool: 'kubeconform',
  version: 'v0.8.0',
  module: 'github.com/yannh/kubeconform',
  pkg: 'cmd/kubeconform',
  binaryName: 'kubeconform',
  expectedDuration: 'under a minute',
};

const resultSchema = z.object({
  resources: z
    .array(
      z.object({
        filename: z.string(),
        kind: z.string(),
        name: z.string(),
        version: z.string(),
        status: z.string(),
        msg: z.string(),
      }),
    )
    .default([]),
  summary: z.object({ valid: z.number(), invalid: z.number(), errors: z.number(), skipped: z.number() }),
});
export type KubeconformResult = z.infer<typeof resultSchema>;

export interface Kubeconform {
  /** Validates a YAML stream of manifests; every resource is listed with its status. */
  validate(manifests: string): KubeconformResult;
}

/** The validator, with its binary and schemas provisioned (built or made the first time, reused after). */
export async function ensureKubeconform(options: GoToolOptions = {}): Promise<Kubeconform> {
  const binary = await ensureGoTool(KUBECONFORM, options);
  const schemas = await ensureKubernetesSchemas(options.env, options.log);
  return {
    validate(manifests) {
      const args = [
        '-strict',
        '-verbose',
        '-summary',
        '-output',
        'json',
        '-kubernetes-version',
        KUBERNETES_VERSION.replace(/^v/, ''),
        '-schema-location',
        path.join(schemas, SCHEMA_FILE_TEMPLATE),
        '-',
      ];
      const run = spawnSync(binary.path, args, {
        input: manifests,
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      });
      // Exit 1 means "some resource is invalid"; the JSON says which. Anything else is the tool failing.
      if (run.status !== 0 && run.status !== 1) {
        throw new Error(`kubeconform exited with ${run.status}: ${run.stderr || run.error}`);
      }
      return resultSchema.parse(JSON.parse(run.stdout));
    },
  };
}

async function main(dirs: string[]): Promise<void> {
  const kubeconform = await ensureKubeconform();
  const kustomize = await kustomizeCommand();
  let failed = false;
  for (const dir of dirs) {
    const { resources, summary } = kubeconform.validate(renderKustomization(kustomize, dir));
    for (const resource of resources.filter(({ status }) => status !== 'statusValid')) {
      process.stdout.write(`${dir}: ${resource.kind}/${resource.name}: ${resource.status} ${resource.msg}\n`);
    }
    process.stdout.write(
      `${dir}: ${summary.valid} valid, ${summary.invalid} invalid, ${summary.errors} errors, ${summary.skipped} skipped (Kubernetes ${KUBERNETES_VERSION})\n`,
    );
    failed ||= summary.invalid + summary.errors + summary.skipped > 0 || summary.valid === 0;
  }
  process.exitCode = failed ? 1 : 0;
}

if (require.main === module) {
  const dirs = process.argv.slice(2);
  main(dirs.length > 0 ? dirs : ['deploy/k8s/overlays/example']).catch((error: unknown) => {
    process.stderr.write(`[kubeconform] ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
