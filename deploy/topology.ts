/**
 * The production topology's shared values, listed once: `npm run cluster` (scripts/cluster) runs this topology
 * on one machine without Docker, and docker-compose.yml / deploy/k8s describe it for containers. Tests hold both
 * to these values, so a port, a database name or a search attribute cannot drift between them.
 */
import { SEARCH_ATTRIBUTE_KEYS, searchAttributeCliSpecs } from '../contract/search-attributes';

/** Pinned versions of what the topology runs (built from the Go module proxy by `npm run cluster`). */
export const VERSIONS = {
  temporalServer: 'v1.29.1',
  temporalUi: 'v2.42.1',
  postgres: '15',
} as const;

export const NAMESPACE = 'default';
export const TASK_QUEUE = 'ondato-onboarding';

/** Temporal's persistence: one PostgreSQL, two databases (history and SQL visibility), plugin postgres12. */
export const POSTGRES = {
  port: 5432,
  user: 'temporal',
  /** Development only: `npm run cluster` listens on loopback; deployments take it from a secret. */
  password: 'temporal',
  plugin: 'postgres12',
  databases: { temporal: 'temporal', visibility: 'temporal_visibility' },
  /** In the server module: `schema/postgresql/v12/<temporal|visibility>/versioned`. */
  schemaDirs: {
    temporal: 'schema/postgresql/v12/temporal/versioned',
    visibility: 'schema/postgresql/v12/visibility/versioned',
  },
} as const;

/**
 * The Temporal server's ports. Clients use `frontend`; the rest are the services' own gRPC and membership
 * ports, which must be free too when all four services run in one process.
 */
export const TEMPORAL_PORTS = {
  frontend: 7233,
  frontendHttp: 7243,
  history: 7234,
  matching: 7235,
  worker: 7239,
  frontendMembership: 6933,
  historyMembership: 6934,
  matchingMembership: 6935,
  workerMembership: 6939,
  metrics: 9090,
} as const;

export const TEMPORAL_UI_PORT = 8080;

/**
 * The service's processes. `api.port` is the one public API address (a load balancer in front of the replicas,
 * where Ondato's webhooks and the UI's codec calls go); on one machine the replicas listen on the ports after it.
 */
export const SERVICE = {
  api: { port: 3000, replicas: 2 },
  worker: { replicas: 2 },
  simulator: { port: 4010 },
} as const;

/** The S3-compatible document store. */
export const S3 = {
  port: 8333,
  bucket: 'onboarding-documents',
  region: 'us-east-1',
  prefix: 'documents/',
} as const;

/** Every custom search attribute, as `Name=Type` for the CLI (from contract/search-attributes.ts). */
export const SEARCH_ATTRIBUTES: readonly { name: string; cliType: string }[] = searchAttributeCliSpecs().map(
  (spec) => {
    const [name, cliType] = spec.split('=') as [string, string];
    return { name, cliType };
  },
);

export const SEARCH_ATTRIBUTE_NAMES: readonly string[] = SEARCH_ATTRIBUTE_KEYS.map((key) => key.name);

/** On one machine: the port of API replica `index` (0-based), after the public port. */
export function apiReplicaPort(index: number, publicPort: number = SERVICE.api.port): number {
  return publicPort + 1 + index;
}
