/**
 * The cluster's document store: SeaweedFS serving S3 on loopback (scripts/seaweedfs.ts), one bucket, SSE-S3 on,
 * and the DOCUMENT_S3_* settings that point the workers at it. The credentials are the cluster's own (it runs
 * its own server on loopback); a deployment takes its own from a secret.
 */
import path from 'node:path';
import { S3 } from '../../deploy/topology';
import { ensureSeaweedfs, startSeaweedfs, type RunningSeaweedfs } from '../seaweedfs';
import type { ClusterPorts } from './ports';

const CLUSTER_S3_CREDENTIALS = {
  accessKey: 'cluster-documents',
  secretKey: 'cluster-documents-secret-key',
  /** Enables SSE-S3: SeaweedFS derives the key it encrypts objects with from this. */
  sseKey: 'cluster-sse-s3-secret-for-loopback-only',
} as const;

export interface ClusterS3 {
  server: RunningSeaweedfs;
  /** The service's settings for this store (config/env.ts). */
  env: Record<string, string>;
}

export async function startClusterS3(
  dataDir: string,
  ports: ClusterPorts,
  log: (line: string) => void,
): Promise<ClusterS3> {
  const binary = await ensureSeaweedfs(process.env, log);
  const server = await startSeaweedfs({
    binaryPath: binary.path,
    dataDir: path.join(dataDir, 'seaweedfs'),
    accessKey: CLUSTER_S3_CREDENTIALS.accessKey,
    secretKey: CLUSTER_S3_CREDENTIALS.secretKey,
    buckets: [S3.bucket],
    ports: ports.seaweedfs,
    sseKey: CLUSTER_S3_CREDENTIALS.sseKey,
    log,
  });
  return {
    server,
    env: {
      DOCUMENT_STORE: 's3',
      DOCUMENT_S3_BUCKET: S3.bucket,
      DOCUMENT_S3_PREFIX: S3.prefix,
      DOCUMENT_S3_ENDPOINT: server.endpoint,
      DOCUMENT_S3_REGION: S3.region,
      DOCUMENT_S3_FORCE_PATH_STYLE: 'true',
      DOCUMENT_S3_ACCESS_KEY_ID: CLUSTER_S3_CREDENTIALS.accessKey,
      DOCUMENT_S3_SECRET_ACCESS_KEY: CLUSTER_S3_CREDENTIALS.secretKey,
      DOCUMENT_S3_SSE: 'sse-s3',
    },
  };
}
