/**
 * A compose file as the compose tool itself resolves it (anchors merged, variables interpolated, paths made
 * absolute): the `docker compose` plugin if present, else Debian's `docker-compose`. There is no Docker engine
 * here; `config` needs none.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { z } from 'zod';
import { parseYamlDocuments } from './yaml';

function composeCommand(): string[] | undefined {
  if (spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0)
    return ['docker', 'compose'];
  if (spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0) return ['docker-compose'];
  return undefined;
}

export const composeTool = composeCommand();

const stringList = z.array(z.string());
const bindMount = z.union([
  z.string(),
  z.object({
    type: z.string(),
    source: z.string().optional(),
    target: z.string(),
    read_only: z.boolean().optional(),
  }),
]);

export const serviceSchema = z.object({
  image: z.string().optional(),
  build: z.unknown().optional(),
  entrypoint: stringList.optional(),
  command: stringList.optional(),
  environment: z.record(z.string(), z.string().nullable()).default({}),
  volumes: z.array(bindMount).default([]),
  ports: z.array(z.unknown()).default([]),
  depends_on: z.record(z.string(), z.object({ condition: z.string() })).default({}),
  healthcheck: z.object({ test: z.union([z.string(), stringList]) }).optional(),
  deploy: z.object({ replicas: z.number().optional() }).optional(),
  stop_grace_period: z.string().optional(),
  restart: z.string().optional(),
  profiles: stringList.optional(),
});
export type ComposeService = z.infer<typeof serviceSchema>;

const composeSchema = z.object({
  services: z.record(z.string(), serviceSchema),
  volumes: z.record(z.string(), z.unknown()).optional(),
});
export type ComposeFile = z.infer<typeof composeSchema>;

function run(file: string, args: string[]): string {
  const [command, ...prefix] = composeTool ?? [];
  if (!command) throw new Error('no compose tool (apt-get install docker-compose)');
  return execFileSync(command, [...prefix, '-f', file, ...args], {
    encoding: 'utf8',
    // Defaults only: a developer's exported variables must not change what the test sees.
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      COMPOSE_PROJECT_NAME: 'ondato-onboarding',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** The resolved file, every profile included. */
export function resolveCompose(file: string): ComposeFile {
  const profiles = ['--profile', 'simulator'];
  const json = composeTool?.[0] === 'docker';
  const text = run(file, [...profiles, 'config', ...(json ? ['--format', 'json'] : [])]);
  const [document] = json ? [JSON.parse(text) as unknown] : parseYamlDocuments(text);
  return composeSchema.parse(document);
}

export function validateCompose(file: string): void {
  run(file, ['config', '--quiet']);
}

/** Host path ← container path, for the bind mounts of a service. */
export function bindMounts(service: ComposeService): { source: string; target: string }[] {
  return service.volumes.flatMap((volume) => {
    if (typeof volume === 'string') {
      const [source, target] = volume.split(':');
      return source?.startsWith('/') && target ? [{ source, target }] : [];
    }
    return volume.type === 'bind' && volume.source ? [{ source: volume.source, target: volume.target }] : [];
  });
}
