/**
 * docker-compose.yml, checked without a Docker engine: the compose tool resolves it (syntax, anchors,
 * interpolation), the values it shares with `npm run cluster` must equal deploy/topology.ts, and every one-shot
 * job's entrypoint + command RUNS here — with stand-ins for the container's tools, and the namespace job also
 * with the real Temporal CLI against the test harness's dev server.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { downloadModule } from '../../scripts/go-tool';
import { onPath } from '../../scripts/tool-cache';
import { loadConfig } from '../../config';
import { envSchema } from '../../config/env';
import { SEARCH_ATTRIBUTE_KEYS, searchAttributeCliSpecs } from '../../contract/search-attributes';
import {
  NAMESPACE,
  POSTGRES,
  S3,
  SEARCH_ATTRIBUTES,
  SERVICE,
  TASK_QUEUE,
  TEMPORAL_PORTS,
  TEMPORAL_UI_PORT,
  VERSIONS,
} from '../../deploy/topology';
import { harness } from '../harness/env';
import {
  composeTool,
  resolveCompose,
  validateCompose,
  type ComposeFile,
  type ComposeService,
} from './support/compose-file';
import { runJob, type JobRun } from './support/job-runner';
import { closedChannelGuardInterceptors } from '../../composition/grpc-closed-channel';

const ROOT = path.resolve(__dirname, '..', '..');
const COMPOSE_FILE = path.join(ROOT, 'docker-compose.yml');
const FOLDED_JOB_FILE = path.join(__dirname, 'fixtures', 'folded-search-attributes-job.yml');

if (!composeTool) {
  process.stderr.write(
    '[deploy] no compose tool installed (apt-get install docker-compose): compose checks skipped\n',
  );
}
const describeWithCompose = composeTool ? describe : describe.skip;

const ONE_SHOT_JOBS = ['temporal-schema', 'temporal-namespace', 's3-bucket'];
const CONTRACT_ATTRIBUTES = Object.fromEntries(
  searchAttributeCliSpecs().map((spec) => spec.split('=') as [string, string]),
);

function service(file: ComposeFile, name: string): ComposeService {
  const found = file.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
}

function env(file: ComposeFile, serviceName: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(service(file, serviceName).environment).map(([name, value]) => [name, value ?? '']),
  );
}

function publishedPorts(file: ComposeFile, serviceName: string): number[] {
  return service(file, serviceName).ports.map((port) => {
    if (typeof port === 'string') return Number(port.split(':')[0]);
    return Number((port as { published?: unknown }).published);
  });
}

/** `45s`, `1m30s` → seconds. */
function seconds(duration: string): number {
  let total = 0;
  for (const [, amount, unit] of duration.matchAll(/(\d+)(h|m|s)/g)) {
    total += Number(amount) * (unit === 'h' ? 3600 : unit === 'm' ? 60 : 1);
  }
  return total;
}

function namespaceState(
  run: JobRun,
  namespace: string,
): { retention?: string; attributes: Record<string, string> } {
  const namespaces = (run.state.namespaces ?? {}) as Record<
    string,
    { retention?: string; attributes: Record<string, string> }
  >;
  return namespaces[namespace] ?? { attributes: {} };
}

describeWithCompose('docker-compose.yml', () => {
  let compose: ComposeFile;
  beforeAll(() => {
    compose = resolveCompose(COMPOSE_FILE);
  });

  it('is valid for the compose tool and defines the production topology', () => {
    expect(() => validateCompose(COMPOSE_FILE)).not.toThrow();
    expect(Object.keys(compose.services).sort()).toEqual(
      [
        'api',
        'postgresql',
        's3-bucket',
        'seaweedfs',
        'simulator',
        'temporal',
        'temporal-namespace',
        'temporal-schema',
        'temporal-ui',
        'worker',
      ].sort(),
    );
  });

  it('runs the plain Temporal server and the admin tools at the topology versions, never auto-setup', () => {
    const images = Object.fromEntries(
      Object.entries(compose.services).map(([name, s]) => [name, s.image ?? '']),
    );
    expect(Object.values(images).filter((image) => image.includes('auto-setup'))).toEqual([]);
    const serverVersion = VERSIONS.temporalServer.replace(/^v/, '');
    expect(images.temporal).toBe(`temporalio/server:${serverVersion}`);
    for (const job of ['temporal-schema', 'temporal-namespace']) {
      expect({ job, image: images[job]?.startsWith(`temporalio/admin-tools:${serverVersion}`) }).toEqual({
        job,
        image: true,
      });
    }
    expect(images['temporal-ui']).toBe(`temporalio/ui:${VERSIONS.temporalUi.replace(/^v/, '')}`);
    expect(images.postgresql).toBe(`postgres:${VERSIONS.postgres}`);
    expect(images.seaweedfs).toMatch(/^chrislusf\/seaweedfs:\d/);
  });

  it('starts each part only when what it needs is healthy or done', () => {
    const conditions = Object.fromEntries(
      Object.entries(compose.services).map(([name, s]) => [
        name,
        Object.fromEntries(
          Object.entries(s.depends_on).map(([dependency, { condition }]) => [dependency, condition]),
        ),
      ]),
    );
    expect(conditions['temporal-schema']).toEqual({ postgresql: 'service_healthy' });
    expect(conditions.temporal).toEqual({ 'temporal-schema': 'service_completed_successfully' });
    expect(conditions['temporal-namespace']).toEqual({ temporal: 'service_healthy' });
    expect(conditions['s3-bucket']).toEqual({ seaweedfs: 'service_healthy' });
    for (const part of ['api', 'worker']) {
      expect({ part, ...conditions[part] }).toMatchObject({
        part,
        'temporal-namespace': 'service_completed_successfully',
        's3-bucket': 'service_completed_successfully',
      });
    }
    for (const part of ['postgresql', 'temporal', 'seaweedfs', 'api', 'simulator']) {
      expect({ part, healthcheck: Boolean(service(compose, part).healthcheck) }).toEqual({
        part,
        healthcheck: true,
      });
    }
    // Every one-shot job is one this file runs (below): a new job without a test fails here.
    const oneShot = Object.entries(compose.services).filter(([, s]) => s.restart === 'no');
    expect(oneShot.map(([name]) => name).sort()).toEqual([...ONE_SHOT_JOBS].sort());
  });

  it('runs the topology replicas, and gives each worker longer to stop than its shutdown grace', () => {
    const worker = service(compose, 'worker');
    expect(worker.deploy?.replicas).toBe(SERVICE.worker.replicas);
    const config = loadConfig(env(compose, 'worker'));
    expect(seconds(worker.stop_grace_period ?? '10s') * 1000).toBeGreaterThan(
      config.temporal.worker.shutdownGraceMs,
    );
  });

  it('uses the values deploy/topology.ts shares with npm run cluster', () => {
    expect(publishedPorts(compose, 'temporal')).toEqual([TEMPORAL_PORTS.frontend]);
    expect(publishedPorts(compose, 'temporal-ui')).toEqual([TEMPORAL_UI_PORT]);
    expect(publishedPorts(compose, 'api')).toEqual([SERVICE.api.port]);
    expect(publishedPorts(compose, 'simulator')).toEqual([SERVICE.simulator.port]);
    expect(publishedPorts(compose, 'seaweedfs')).toEqual([S3.port]);

    const server = env(compose, 'temporal');
    expect(server).toMatchObject({
      DB: POSTGRES.plugin,
      DB_PORT: String(POSTGRES.port),
      POSTGRES_USER: POSTGRES.user,
      DBNAME: POSTGRES.databases.temporal,
      VISIBILITY_DBNAME: POSTGRES.databases.visibility,
    });
    const schema = env(compose, 'temporal-schema');
    expect(schema).toMatchObject({
      SQL_PLUGIN: POSTGRES.plugin,
      SQL_PORT: String(POSTGRES.port),
      SQL_USER: POSTGRES.user,
      TEMPORAL_DB: POSTGRES.databases.temporal,
      VISIBILITY_DB: POSTGRES.databases.visibility,
    });
    // The admin-tools image keeps the server module's schema/ folder under /etc/temporal.
    expect(`${schema.SCHEMA_DIR}/temporal/versioned`).toBe(`/etc/temporal/${POSTGRES.schemaDirs.temporal}`);
    expect(`${schema.SCHEMA_DIR}/visibility/versioned`).toBe(
      `/etc/temporal/${POSTGRES.schemaDirs.visibility}`,
    );

    const namespaceJob = env(compose, 'temporal-namespace');
    expect(namespaceJob.TEMPORAL_NAMESPACE).toBe(NAMESPACE);
    expect(namespaceJob.TEMPORAL_ADDRESS).toBe(`temporal:${TEMPORAL_PORTS.frontend}`);
    expect(namespaceJob.SEARCH_ATTRIBUTES?.split(/\s+/)).toEqual(
      SEARCH_ATTRIBUTES.map(({ name, cliType }) => `${name}=${cliType}`),
    );
    expect(namespaceJob.SEARCH_ATTRIBUTES?.split(/\s+/)).toEqual(searchAttributeCliSpecs());

    const bucketJob = env(compose, 's3-bucket');
    expect(bucketJob).toMatchObject({
      S3_ENDPOINT: `http://seaweedfs:${S3.port}`,
      S3_BUCKET: S3.bucket,
      S3_REGION: S3.region,
    });
    for (const part of ['api', 'worker']) {
      const config = loadConfig(env(compose, part));
      expect({ part, namespace: config.temporal.namespace, taskQueue: config.temporal.taskQueue }).toEqual({
        part,
        namespace: NAMESPACE,
        taskQueue: TASK_QUEUE,
      });
      expect(env(compose, part)).toMatchObject({
        TEMPORAL_ADDRESS: `temporal:${TEMPORAL_PORTS.frontend}`,
        DOCUMENT_STORE: 's3',
        DOCUMENT_S3_ENDPOINT: `http://seaweedfs:${S3.port}`,
        DOCUMENT_S3_BUCKET: S3.bucket,
        DOCUMENT_S3_REGION: S3.region,
        DOCUMENT_S3_PREFIX: S3.prefix,
      });
      // The store's credentials are the ones SeaweedFS and the bucket job were given.
      expect(env(compose, part).DOCUMENT_S3_ACCESS_KEY_ID).toBe(env(compose, 'seaweedfs').AWS_ACCESS_KEY_ID);
      expect(env(compose, part).DOCUMENT_S3_SECRET_ACCESS_KEY).toBe(bucketJob.AWS_SECRET_ACCESS_KEY);
    }
  });

  it('gives the service only variables config/env.ts reads', () => {
    const known = new Set(Object.keys(envSchema.shape));
    for (const part of ['api', 'worker', 'simulator']) {
      const unknown = Object.keys(env(compose, part)).filter((name) => !known.has(name));
      expect({ part, unknown }).toEqual({ part, unknown: [] });
    }
  });

  it("gives the Temporal server only variables its image's config template reads", async () => {
    const go = onPath('go', process.env);
    if (!go) {
      process.stderr.write('[deploy] no Go toolchain: the server config template check is skipped\n');
      return;
    }
    const moduleDir = await downloadModule(go, 'go.temporal.io/server', VERSIONS.temporalServer);
    const template = readFileSync(path.join(moduleDir, 'docker', 'config_template.yaml'), 'utf8');
    const read = new Set([...template.matchAll(/\.Env\.([A-Z0-9_]+)/g)].map((match) => match[1]));
    const unread = Object.keys(env(compose, 'temporal')).filter((name) => !read.has(name));
    expect(unread).toEqual([]);
  });

  describe('one-shot jobs, run with stand-ins for the container tools', () => {
    it('the job runner exposes the old folded search-attribute job: it exits 0 and registers nothing', () => {
      const folded = resolveCompose(FOLDED_JOB_FILE);
      const run = runJob(service(folded, 'temporal-search-attributes'), {
        state: { namespaces: { default: { attributes: {} } } },
      });
      expect(run.status).toBe(0);
      const creates = run.calls.filter(({ args }) => args.includes('create'));
      expect(creates).toHaveLength(SEARCH_ATTRIBUTE_KEYS.length);
      expect(creates.every(({ args }) => !args.includes('--name'))).toBe(true);
      expect(namespaceState(run, 'default').attributes).toEqual({});
    });

    it('temporal-namespace creates the namespace and every contract search attribute', () => {
      const run = runJob(service(compose, 'temporal-namespace'));
      expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
      expect(namespaceState(run, NAMESPACE)).toEqual({ retention: '720h', attributes: CONTRACT_ATTRIBUTES });
      const creates = run.calls.filter(({ args }) =>
        args.join(' ').startsWith('operator search-attribute create'),
      );
      expect(creates.map(({ args }) => args[args.indexOf('--name') + 1]).sort()).toEqual(
        SEARCH_ATTRIBUTE_KEYS.map((key) => key.name).sort(),
      );

      const again = runJob(service(compose, 'temporal-namespace'), { state: run.state });
      expect(again.status).toBe(0);
      expect(again.calls.filter(({ args }) => args.includes('create'))).toEqual([]);
    });

    it('temporal-namespace fails loudly: a failed create, a wrong type, a frontend that never answers', () => {
      const failedCreate = runJob(service(compose, 'temporal-namespace'), { fail: '--name KycStatus' });
      expect(failedCreate.status).not.toBe(0);
      expect(failedCreate.stderr).toContain('could not create search attribute KycStatus');

      const wrongType = runJob(service(compose, 'temporal-namespace'), {
        state: { namespaces: { [NAMESPACE]: { attributes: { CustomerId: 'Text' } } } },
      });
      expect(wrongType.status).not.toBe(0);
      expect(wrongType.stderr).toContain('CustomerId is registered as Text');

      const down = runJob(service(compose, 'temporal-namespace'), { state: { frontend: 'down' } });
      expect(down.status).not.toBe(0);
      expect(down.stderr).toContain('did not answer after 3 attempts');

      const unanswered = runJob(service(compose, 'temporal-namespace'), { fail: 'namespace describe' });
      expect(unanswered.status).not.toBe(0);
      expect(unanswered.stderr).toContain(`could not describe namespace ${NAMESPACE}`);
      expect(unanswered.calls.filter(({ args }) => args.includes('describe'))).toHaveLength(3);

      const failedNamespace = runJob(service(compose, 'temporal-namespace'), { fail: 'namespace create' });
      expect(failedNamespace.status).not.toBe(0);
      expect(failedNamespace.stderr).toContain(`could not create namespace ${NAMESPACE}`);
    });

    it('temporal-schema creates and upgrades both databases, and is safe to run again', () => {
      // What the admin-tools image has under SCHEMA_DIR (the versioned folders of both schemas).
      const schemaRoot = mkdtempSync(path.join(os.tmpdir(), 'compose-schema-'));
      for (const kind of ['temporal', 'visibility'])
        mkdirSync(path.join(schemaRoot, kind, 'versioned'), { recursive: true });
      const job = service(compose, 'temporal-schema');
      const run = runJob(job, { env: { SCHEMA_DIR: schemaRoot } });
      expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
      const { SQL_PLUGIN, SQL_HOST, SQL_PORT, SQL_USER } = env(compose, 'temporal-schema');
      for (const call of run.calls) {
        expect(call.args.slice(0, 8)).toEqual([
          '--plugin',
          SQL_PLUGIN,
          '--endpoint',
          SQL_HOST,
          '--port',
          SQL_PORT,
          '--user',
          SQL_USER,
        ]);
        // The password comes from SQL_PASSWORD, never from argv.
        expect(call.args.filter((arg) => arg === '--password' || arg === '--pw')).toEqual([]);
      }
      expect(run.state.databases).toEqual({
        [POSTGRES.databases.temporal]: `latest from ${schemaRoot}/temporal/versioned`,
        [POSTGRES.databases.visibility]: `latest from ${schemaRoot}/visibility/versioned`,
      });

      const again = runJob(job, { env: { SCHEMA_DIR: schemaRoot }, state: run.state });
      expect({ status: again.status, stderr: again.stderr }).toEqual({ status: 0, stderr: '' });
      expect(again.stdout).toContain(`database ${POSTGRES.databases.temporal} is there`);

      const failed = runJob(job, { env: { SCHEMA_DIR: schemaRoot }, fail: 'update-schema' });
      expect(failed.status).not.toBe(0);
      expect(failed.stderr).toContain(`update-schema failed on ${POSTGRES.databases.temporal}`);

      const noSchemas = runJob(job);
      expect(noSchemas.status).not.toBe(0);
      expect(noSchemas.stderr).toContain('no schema directory');
      rmSync(schemaRoot, { recursive: true, force: true });
    });

    it('s3-bucket creates the bucket, proves a write, and refuses wrong credentials', () => {
      const job = service(compose, 's3-bucket');
      const credentials = `${env(compose, 's3-bucket').AWS_ACCESS_KEY_ID}:${env(compose, 's3-bucket').AWS_SECRET_ACCESS_KEY}`;
      const run = runJob(job, { state: { s3: { buckets: {}, credentials } } });
      expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
      expect(run.state.s3).toEqual({ buckets: { [S3.bucket]: {} }, credentials });
      expect(run.calls.map(({ args }) => args[args.indexOf('--request') + 1])).toEqual([
        'PUT',
        'PUT',
        'DELETE',
      ]);

      const again = runJob(job, { state: run.state });
      expect({ status: again.status, stdout: again.stdout }).toMatchObject({ status: 0 });
      expect(again.stdout).toContain(`bucket ${S3.bucket} exists`);

      const refused = runJob(job, { state: { s3: { buckets: {}, credentials: 'someone:else' } } });
      expect(refused.status).not.toBe(0);
      expect(refused.stderr).toContain('refused the credentials (403)');

      const down = runJob(job, { state: { s3: { buckets: {}, credentials, down: true } } });
      expect(down.status).not.toBe(0);
      expect(down.stderr).toContain('did not accept a bucket after 3 attempts');
    });
  });

  describe('temporal-namespace against a real Temporal server (the harness dev server, the real CLI)', () => {
    let connection: Connection;
    beforeAll(async () => {
      connection = await Connection.connect({
        interceptors: closedChannelGuardInterceptors(),
        address: harness().address,
      });
    });
    afterAll(async () => {
      await connection?.close();
    });

    async function registeredTypes(namespace: string): Promise<Record<string, string>> {
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
      const types = temporal.api.enums.v1.IndexedValueType;
      return Object.fromEntries(
        Object.entries(customAttributes ?? {}).map(([name, type]) => [name, types[type] ?? String(type)]),
      );
    }

    function realRun(namespace: string): JobRun {
      const { address, cliPath } = harness();
      return runJob(service(compose, 'temporal-namespace'), {
        pathPrefix: [path.dirname(cliPath)],
        env: {
          TEMPORAL_ADDRESS: address,
          TEMPORAL_NAMESPACE: namespace,
          HOME: process.env.HOME ?? '/tmp',
          WAIT_ATTEMPTS: '30',
          WAIT_SECONDS: '0.5',
        },
      });
    }

    it('creates a namespace and its search attributes, then finds them all there on a second run', async () => {
      const namespace = `compose-job-${process.pid}-${Date.now()}`;
      const run = realRun(namespace);
      expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
      expect(run.calls).toEqual([]); // the real CLI ran, not a stand-in
      const registered = await registeredTypes(namespace);
      for (const key of SEARCH_ATTRIBUTE_KEYS) {
        expect({ name: key.name, type: registered[key.name] }).toEqual({
          name: key.name,
          type: 'INDEXED_VALUE_TYPE_KEYWORD',
        });
      }

      const again = realRun(namespace);
      expect({ status: again.status, stderr: again.stderr }).toEqual({ status: 0, stderr: '' });
      expect(again.stdout).not.toContain('created');
    });

    it('fails when an attribute exists with another type', async () => {
      const namespace = `compose-job-conflict-${process.pid}-${Date.now()}`;
      const { address, cliPath } = harness();
      const cli = (...args: string[]) =>
        spawnSync(cliPath, [...args, '--address', address, '--namespace', namespace], { encoding: 'utf8' });
      expect(cli('operator', 'namespace', 'create').status).toBe(0);
      let added = false;
      for (let attempt = 0; attempt < 50 && !added; attempt += 1) {
        // The new namespace reaches the frontend's cache within a moment.
        added =
          cli('operator', 'search-attribute', 'create', '--name', 'CustomerId', '--type', 'Text').status ===
          0;
        if (!added) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(added).toBe(true);
      const run = realRun(namespace);
      expect(run.status).not.toBe(0);
      expect(run.stderr).toContain(
        'search attribute CustomerId is registered as Text, the workflow needs Keyword',
      );
    });
  });
});
