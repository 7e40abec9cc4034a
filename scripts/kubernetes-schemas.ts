/**
 * JSON schemas of the Kubernetes API for kubeconform, made offline from the OpenAPI document that the
 * `k8s.io/kubernetes` Go module ships (api/openapi-spec/swagger.json): one self-contained, strict schema per
 * kind, named the way kubeconform's `-schema-location` template asks (`deployment-apps-v1.json`). Strict means
 * an unknown field is an error, as `kubectl apply --validate=strict` would say.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { downloadModule } from './go-tool';
import { onPath, toolCacheDir, withProgress } from './tool-cache';

/** The API the manifests are checked against (a module version the Go proxy serves). */
export const KUBERNETES_VERSION = 'v1.34.4';
const MODULE = 'k8s.io/kubernetes';
/** kubeconform's `-schema-location` for the generated directory. */
export const SCHEMA_FILE_TEMPLATE = '{{ .ResourceKind }}{{ .KindSuffix }}.json';

type Schema = { [key: string]: unknown };

const swaggerSchema = z.object({
  definitions: z.record(
    z.string(),
    z.looseObject({
      'x-kubernetes-group-version-kind': z
        .array(z.object({ group: z.string(), version: z.string(), kind: z.string() }))
        .optional(),
    }),
  ),
});

const INT_OR_STRING = { oneOf: [{ type: 'string' }, { type: 'integer' }] };
const QUANTITY = { oneOf: [{ type: 'string' }, { type: 'number' }] };

/** kubeconform's file name for a kind: `Deployment` in `apps/v1` → `deployment-apps-v1.json`. */
export function schemaFileName(group: string, version: string, kind: string): string {
  const groupPart = group ? `-${group.split('.')[0]}` : '';
  return `${kind.toLowerCase()}${groupPart}-${version}.json`.toLowerCase();
}

/** Inlines every `$ref` (a cycle, as in CRD schemas, becomes "anything"), drops prose, forbids unknown fields. */
function standalone(definitions: Record<string, Schema>, node: unknown, stack: string[]): unknown {
  if (Array.isArray(node)) return node.map((item) => standalone(definitions, item, stack));
  if (typeof node !== 'object' || node === null) return node;
  const schema = node as Schema;
  const ref = schema.$ref;
  if (typeof ref === 'string') {
    const name = ref.replace('#/definitions/', '');
    if (name === 'io.k8s.apimachinery.pkg.util.intstr.IntOrString') return INT_OR_STRING;
    if (name === 'io.k8s.apimachinery.pkg.api.resource.Quantity') return QUANTITY;
    const target = definitions[name];
    if (!target || stack.includes(name)) return {};
    return standalone(definitions, target, [...stack, name]);
  }
  if (schema.format === 'int-or-string') return INT_OR_STRING;
  const result: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'description' || key.startsWith('x-kubernetes-')) continue;
    if (key === 'properties') {
      result.properties = Object.fromEntries(
        Object.entries(value as Schema).map(([name, property]) => [
          name,
          standalone(definitions, property, stack),
        ]),
      );
    } else if (
      key === 'items' ||
      key === 'additionalProperties' ||
      key === 'allOf' ||
      key === 'oneOf' ||
      key === 'anyOf'
    ) {
      result[key] = standalone(definitions, value, stack);
    } else {
      result[key] = value;
    }
  }
  if (result.properties && result.additionalProperties === undefined) result.additionalProperties = false;
  return result;
}

/** Every kind of the API as `{ file: schema }`. */
export function kindSchemas(swagger: unknown): Map<string, Schema> {
  const { definitions } = swaggerSchema.parse(swagger);
  const schemas = new Map<string, Schema>();
  for (const [name, definition] of Object.entries(definitions)) {
    const kinds = definition['x-kubernetes-group-version-kind'] ?? [];
    // Shared types (DeleteOptions, WatchEvent, ...) list many kinds; they are never a manifest.
    if (kinds.length !== 1) continue;
    const [{ group, version, kind }] = kinds as [{ group: string; version: string; kind: string }];
    const schema = standalone(definitions as Record<string, Schema>, definition, [name]) as Schema;
    const properties = (schema.properties ?? {}) as Schema;
    schema.properties = {
      ...properties,
      apiVersion: { type: 'string', enum: [group ? `${group}/${version}` : version] },
      kind: { type: 'string', enum: [kind] },
    };
    schema.required = [
      ...new Set([...((schema.required as string[] | undefined) ?? []), 'apiVersion', 'kind']),
    ];
    schemas.set(schemaFileName(group, version, kind), schema);
  }
  return schemas;
}

export function schemaCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return toolCacheDir('kubernetes-schemas', KUBERNETES_VERSION, env);
}

/** The directory of generated schemas, made from the Go module the first time (published with a rename). */
export async function ensureKubernetesSchemas(
  env: NodeJS.ProcessEnv = process.env,
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<string> {
  const target = schemaCacheDir(env);
  if (existsSync(path.join(target, 'deployment-apps-v1.json'))) return target;
  const go = onPath('go', env);
  if (!go)
    throw new Error(
      `No Kubernetes schemas in ${target} and no Go toolchain to fetch ${MODULE}@${KUBERNETES_VERSION}.`,
    );
  log(`[setup] making the Kubernetes ${KUBERNETES_VERSION} JSON schemas from ${MODULE} into ${target}`);
  const started = Date.now();
  const staging = `${target}.building-${process.pid}`;
  await withProgress('making the Kubernetes schemas', log, async () => {
    const moduleDir = await downloadModule(go, MODULE, KUBERNETES_VERSION, env);
    const swagger: unknown = JSON.parse(
      readFileSync(path.join(moduleDir, 'api', 'openapi-spec', 'swagger.json'), 'utf8'),
    );
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    for (const [file, schema] of kindSchemas(swagger))
      writeFileSync(path.join(staging, file), JSON.stringify(schema));
  });
  mkdirSync(path.dirname(target), { recursive: true });
  rmSync(target, { recursive: true, force: true });
  renameSync(staging, target);
  log(`[setup] Kubernetes schemas ready in ${Math.round((Date.now() - started) / 1000)} s`);
  return target;
}
