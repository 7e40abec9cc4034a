/**
 * The compose schema job run for real: the real temporal-sql-tool on a real PostgreSQL, both as `npm run cluster`
 * builds and runs them (the binary from the tool cache). Without that binary the test says so and skips: building
 * it takes minutes, and npm run cluster does it once per machine. (The bucket job's real run is in
 * compose-bucket-job.test.ts, so the two servers start in parallel.)
 */
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { POSTGRES, VERSIONS } from '../../deploy/topology';
import { startPostgres, type RunningPostgres } from '../../scripts/cluster/postgres';
import { TEMPORAL_SQL_TOOL } from '../../scripts/cluster/tools';
import { downloadModule, findGoTool } from '../../scripts/go-tool';
import { onPath } from '../../scripts/tool-cache';
import { composeTool, resolveCompose, type ComposeService } from './support/compose-file';
import { describeIfTools } from './support/needs-cluster-tools';
import { runJob } from './support/job-runner';

const COMPOSE_FILE = path.resolve(__dirname, '..', '..', 'docker-compose.yml');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** The newest `vX.Y` folder of a versioned schema directory. */
function newestVersion(dir: string): string {
  const versions = readdirSync(dir).map(
    (name) => name.replace(/^v/, '').split('.').map(Number) as [number, number],
  );
  versions.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const [major, minor] = versions[versions.length - 1] ?? [0, 0];
  return `${major}.${minor}`;
}

function composeService(name: string): ComposeService {
  const service = resolveCompose(COMPOSE_FILE).services[name];
  if (!service) throw new Error(`docker-compose.yml has no service ${name}`);
  return service;
}

const sqlTool = findGoTool(TEMPORAL_SQL_TOOL);
const go = onPath('go', process.env);
const describeSchema = describeIfTools(
  'the real temporal-schema job',
  !sqlTool
    ? 'no temporal-sql-tool in the tool cache'
    : !go
      ? 'no go on PATH'
      : !composeTool
        ? 'no compose tool'
        : undefined,
);

describeSchema('temporal-schema job on a real PostgreSQL with the real temporal-sql-tool', () => {
  let workDir: string;
  let postgres: RunningPostgres;
  beforeAll(async () => {
    workDir = mkdtempSync(path.join(os.tmpdir(), 'compose-schema-job-'));
    // PostgreSQL runs as the `postgres` user when the tests run as root: it must reach its data directory.
    chmodSync(workDir, 0o755);
    postgres = await startPostgres({
      dataDir: path.join(workDir, 'postgres'),
      port: await freePort(),
      log: () => {},
    });
  }, 120_000);
  afterAll(async () => {
    await postgres?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('creates both databases at the newest schema versions, and a second run changes nothing', async () => {
    const moduleDir = await downloadModule(go as string, 'go.temporal.io/server', VERSIONS.temporalServer);
    const schemaDir = path.join(moduleDir, 'schema', 'postgresql', 'v12');
    const env = { SQL_HOST: '127.0.0.1', SQL_PORT: String(postgres.port), SCHEMA_DIR: schemaDir };
    const job = composeService('temporal-schema');
    const realTool = { pathPrefix: [path.dirname((sqlTool as { path: string }).path)], env };

    const first = runJob(job, realTool);
    expect({ status: first.status, stderr: first.stderr.slice(-2000) }).toMatchObject({ status: 0 });
    expect(first.calls).toEqual([]); // the real tool ran, not a stand-in
    const newest = {
      [POSTGRES.databases.temporal]: newestVersion(path.join(schemaDir, 'temporal', 'versioned')),
      [POSTGRES.databases.visibility]: newestVersion(path.join(schemaDir, 'visibility', 'versioned')),
    };
    const versions = async () =>
      Object.fromEntries(
        await Promise.all(
          Object.keys(newest).map(async (database) => [
            database,
            (
              await postgres.query(
                database,
                `SELECT curr_version FROM schema_version WHERE db_name = '${database}'`,
              )
            ).trim(),
          ]),
        ),
      );
    expect(await versions()).toEqual(newest);

    const second = runJob(job, realTool);
    expect(second.status).toBe(0);
    expect(second.stdout).toContain(`${POSTGRES.databases.temporal} is up to date`);
    expect(second.stdout).toContain(`${POSTGRES.databases.visibility} is up to date`);
    expect(await versions()).toEqual(newest);

    const wrongPassword = runJob(job, { ...realTool, env: { ...env, SQL_PASSWORD: 'not-the-password' } });
    expect(wrongPassword.status).not.toBe(0);
    expect(wrongPassword.stderr).toContain(`could not create database ${POSTGRES.databases.temporal}`);
  }, 120_000);
});
