/**
 * The cluster's ports: deploy/topology.ts's, shifted by one offset (so a second cluster, e.g. the topology test's,
 * runs beside the developer's), and all checked free on loopback before anything starts: another server on the
 * same port would answer the health checks in place of ours.
 */
import { createServer } from 'node:net';
import {
  apiReplicaPort,
  POSTGRES,
  S3,
  SERVICE,
  TEMPORAL_PORTS,
  TEMPORAL_UI_PORT,
} from '../../deploy/topology';

export const HOST = '127.0.0.1';

export interface ClusterPorts {
  postgres: number;
  temporal: { [K in keyof typeof TEMPORAL_PORTS]: number };
  ui: number;
  apis: number[];
  /** The one public URL in front of the API replicas (what Ondato's webhooks and the UI's codec calls use). */
  balancer: number;
  simulator: number;
  /** SeaweedFS: S3 (deploy/topology.ts) and its inner parts; fixed, so a restart on its data finds them again. */
  seaweedfs: {
    s3: number;
    s3Grpc: number;
    master: number;
    masterGrpc: number;
    volume: number;
    volumeGrpc: number;
    filer: number;
    filerGrpc: number;
  };
}

/**
 * Temporal's SQL persistence stores membership ports in a `smallint` column: past 32767 the server dies at start
 * ("value out of range for type smallint"). The offset must keep every membership port below that.
 */
const MEMBERSHIP_PORTS = [
  TEMPORAL_PORTS.frontendMembership,
  TEMPORAL_PORTS.historyMembership,
  TEMPORAL_PORTS.matchingMembership,
  TEMPORAL_PORTS.workerMembership,
];
export const MAX_PORT_OFFSET = 32_767 - Math.max(...MEMBERSHIP_PORTS);

export function clusterPorts(offset: number): ClusterPorts {
  if (!Number.isInteger(offset) || offset < 0 || offset > MAX_PORT_OFFSET) {
    throw new Error(
      `port offset ${offset} out of range 0..${MAX_PORT_OFFSET} (Temporal keeps membership ports in a smallint column)`,
    );
  }
  const temporal = Object.fromEntries(
    Object.entries(TEMPORAL_PORTS).map(([name, port]) => [name, port + offset]),
  ) as ClusterPorts['temporal'];
  return {
    postgres: POSTGRES.port + offset,
    temporal,
    ui: TEMPORAL_UI_PORT + offset,
    apis: Array.from({ length: SERVICE.api.replicas }, (_, index) => apiReplicaPort(index) + offset),
    balancer: SERVICE.api.port + offset,
    simulator: SERVICE.simulator.port + offset,
    seaweedfs: {
      s3: S3.port + offset,
      s3Grpc: S3.port + 10_000 + offset,
      master: 9333 + offset,
      masterGrpc: 19_333 + offset,
      volume: 8380 + offset,
      volumeGrpc: 18_380 + offset,
      filer: 8888 + offset,
      filerGrpc: 18_888 + offset,
    },
  };
}

export function allPorts(ports: ClusterPorts): Array<[string, number]> {
  return [
    ['PostgreSQL', ports.postgres],
    ...Object.entries(ports.temporal).map(([name, port]): [string, number] => [`Temporal ${name}`, port]),
    ['Temporal UI', ports.ui],
    ...ports.apis.map((port, index): [string, number] => [`API ${index + 1}`, port]),
    ['API balancer', ports.balancer],
    ['simulator', ports.simulator],
    ...Object.entries(ports.seaweedfs).map(([name, port]): [string, number] => [`SeaweedFS ${name}`, port]),
  ];
}

export function isPortFree(port: number, host = HOST): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** Throws one message naming every port already taken. */
export async function assertPortsFree(ports: Array<[string, number]>): Promise<void> {
  const taken: string[] = [];
  for (const [name, port] of ports) if (!(await isPortFree(port))) taken.push(`${name} ${HOST}:${port}`);
  if (taken.length > 0) {
    throw new Error(
      `ports already in use: ${taken.join(', ')}. Stop what holds them (another cluster?) or pass --port-offset N.`,
    );
  }
}
