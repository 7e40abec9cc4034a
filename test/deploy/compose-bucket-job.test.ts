/**
 * The compose bucket job run for real: the real curl (SigV4-signed requests) on a real SeaweedFS, the binary
 * `npm run cluster` builds into the tool cache. Without that binary the test says so and skips: building it takes
 * minutes, and npm run cluster does it once per machine. (The schema job's real run is in
 * compose-schema-job.test.ts, so the two servers start in parallel.)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { S3 } from '../../deploy/topology';
import { findSeaweedfs, startSeaweedfs, type RunningSeaweedfs } from '../../scripts/seaweedfs';
import { onPath } from '../../scripts/tool-cache';
import { composeTool, resolveCompose, type ComposeService } from './support/compose-file';
import { describeIfTools } from './support/needs-cluster-tools';
import { runJob } from './support/job-runner';

const COMPOSE_FILE = path.resolve(__dirname, '..', '..', 'docker-compose.yml');

function composeService(name: string): ComposeService {
  const service = resolveCompose(COMPOSE_FILE).services[name];
  if (!service) throw new Error(`docker-compose.yml has no service ${name}`);
  return service;
}

const weed = findSeaweedfs();
const curl = onPath('curl', process.env);
const describeBucket = describeIfTools(
  'the real s3-bucket job',
  !weed
    ? 'no SeaweedFS binary in the tool cache'
    : !curl
      ? 'no curl on PATH'
      : !composeTool
        ? 'no compose tool'
        : undefined,
);

describeBucket('s3-bucket job on a real SeaweedFS with the real curl', () => {
  const accessKey = 'compose-job-test';
  const secretKey = 'compose-job-test-secret';
  let workDir: string;
  let seaweedfs: RunningSeaweedfs;
  beforeAll(async () => {
    workDir = mkdtempSync(path.join(os.tmpdir(), 'compose-bucket-job-'));
    seaweedfs = await startSeaweedfs({
      binaryPath: (weed as { path: string }).path,
      dataDir: workDir,
      accessKey,
      secretKey,
      // Only the server's own readiness bucket: the job must create the documents bucket itself.
      buckets: ['readiness-probe'],
    });
  }, 120_000);
  afterAll(async () => {
    await seaweedfs?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('creates the bucket with a signed request, proves a write, and refuses wrong credentials', () => {
    const job = composeService('s3-bucket');
    const realCurl = { pathPrefix: [path.dirname(curl as string)] };
    const env = {
      S3_ENDPOINT: seaweedfs.endpoint,
      AWS_ACCESS_KEY_ID: accessKey,
      AWS_SECRET_ACCESS_KEY: secretKey,
    };

    const first = runJob(job, { ...realCurl, env });
    expect({ status: first.status, stderr: first.stderr }).toEqual({ status: 0, stderr: '' });
    expect(first.stdout).toContain(`created bucket ${S3.bucket}`);
    expect(first.stdout).toContain(`${S3.bucket} accepts writes`);

    const second = runJob(job, { ...realCurl, env });
    expect({ status: second.status, stderr: second.stderr }).toEqual({ status: 0, stderr: '' });
    expect(second.stdout).toContain(`bucket ${S3.bucket} exists`);

    // The probe object is gone: the bucket holds nothing the service did not put there.
    const listing = spawnSync(
      curl as string,
      [
        '--silent',
        '--aws-sigv4',
        `aws:amz:${S3.region}:s3`,
        '--user',
        `${accessKey}:${secretKey}`,
        '--header',
        'x-amz-content-sha256: UNSIGNED-PAYLOAD',
        `${seaweedfs.endpoint}/${S3.bucket}?list-type=2`,
      ],
      { encoding: 'utf8' },
    );
    expect(listing.stdout).toContain('<KeyCount>0</KeyCount>');

    const refused = runJob(job, { ...realCurl, env: { ...env, AWS_SECRET_ACCESS_KEY: 'wrong-secret' } });
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('refused the credentials (403)');
  }, 60_000);
});
