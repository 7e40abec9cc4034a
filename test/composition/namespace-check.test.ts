/**
 * Readiness that means it, on a real second dev server started WITHOUT the contract's search attributes: the
 * check names what is missing (the namespace, each attribute, a wrong type), the worker process refuses to start
 * with that message, and the API's /readyz answers 503 with it. On the harness's server (attributes registered)
 * the same check passes, /readyz is 200 and the worker polls.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import request from 'supertest';
import { createApp } from '../../api/app';
import { createDataConverter } from '../../codec/data-converter';
import { checkNamespace, type NamespaceServices } from '../../composition/namespace-check';
import { loadConfig } from '../../config';
import { SEARCH_ATTRIBUTE_KEYS } from '../../contract';
import { apiEnv, captureLogs } from '../api/support/api-env';
import { harness } from '../harness/env';
import { closedChannelGuardInterceptors } from '../../composition/grpc-closed-channel';

const ROOT = path.resolve(__dirname, '..', '..');
const KEYWORD = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
const TEXT = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_TEXT;

/** A credential without the operator service (as some hosted clusters scope keys): visibility still answers. */
function withoutOperatorService(connection: Connection): NamespaceServices {
  return {
    workflowService: connection.workflowService,
    operatorService: {
      listSearchAttributes: () =>
        Promise.reject(Object.assign(new Error('7 PERMISSION_DENIED: Request unauthorized.'), { code: 7 })),
    },
  };
}

interface WorkerRun {
  code: number | null;
  output: string;
}

/** The real worker entry point; stopped with SIGTERM once `stopWhen` matches its output (if given). */
function runWorkerProcess(env: NodeJS.ProcessEnv, stopWhen?: RegExp): Promise<WorkerRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'workers', 'main.ts')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'test', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let stopping = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the worker neither exited nor matched in 60 s:\n${output}`));
    }, 60_000);
    const onOutput = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      // A moment after the line: `worker.run()` (which handles SIGTERM) starts right after it is logged.
      if (stopWhen && stopWhen.test(output) && !stopping) {
        stopping = true;
        setTimeout(() => child.kill('SIGTERM'), 1_000);
      }
    };
    child.stdout.on('data', onOutput);
    child.stderr.on('data', onOutput);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('namespace readiness', () => {
  const { address: readyAddress, namespace, cliPath, bundlePath } = harness();
  let bare: TestWorkflowEnvironment;
  let bareAddress: string;
  let connection: Connection;

  /** An API on `address`/`namespace`, as api/main.ts builds it. */
  async function readyz(address: string, ns: string): Promise<{ status: number; body: unknown }> {
    const config = loadConfig(apiEnv({ TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: ns }));
    const apiConnection = await Connection.connect({
      interceptors: closedChannelGuardInterceptors(),
      address,
    });
    try {
      const client = new Client({
        connection: apiConnection,
        namespace: ns,
        dataConverter: createDataConverter(config),
      });
      const app = createApp({ temporal: client, config, logger: captureLogs().logger });
      const response = await request(app).get('/readyz');
      return { status: response.status, body: response.body };
    } finally {
      await apiConnection.close();
    }
  }

  beforeAll(async () => {
    // A second dev server with no custom search attribute, as a fresh cluster or a forgotten setup job leaves it.
    bare = await TestWorkflowEnvironment.createLocal({
      server: { executable: { type: 'existing-path', path: cliPath }, ip: '127.0.0.1' },
    });
    bareAddress = bare.address;
    connection = await Connection.connect({
      interceptors: closedChannelGuardInterceptors(),
      address: bareAddress,
    });
  }, 60_000);
  afterAll(async () => {
    await connection?.close();
    await bare?.teardown();
  });

  it('passes on a namespace that holds every attribute, and /readyz says ok', async () => {
    const ready = await Connection.connect({
      interceptors: closedChannelGuardInterceptors(),
      address: readyAddress,
    });
    try {
      await expect(checkNamespace(ready, namespace)).resolves.toEqual({ ready: true });
      await expect(checkNamespace(withoutOperatorService(ready), namespace)).resolves.toEqual({
        ready: true,
      });
    } finally {
      await ready.close();
    }
    expect(await readyz(readyAddress, namespace)).toEqual({
      status: 200,
      body: { status: 'ok', temporal: 'reachable' },
    });
  });

  it('names a missing namespace: the check, /readyz (503) and the worker (refuses to start)', async () => {
    const readiness = await checkNamespace(connection, 'no-such-namespace');
    expect(readiness).toEqual({
      ready: false,
      reason: 'namespace-missing',
      message: expect.stringMatching(/^Temporal namespace "no-such-namespace" does not exist: create it/),
    });
    const message = readiness.ready ? '' : readiness.message;
    expect(await readyz(bareAddress, 'no-such-namespace')).toEqual({
      status: 503,
      body: { status: 'unavailable', temporal: 'reachable', reason: message },
    });
    const worker = await runWorkerProcess({
      TEMPORAL_ADDRESS: bareAddress,
      TEMPORAL_NAMESPACE: 'no-such-namespace',
    });
    expect(worker.code).toBe(1);
    expect(worker.output).toContain(`[worker] fatal: ${message}`);
  });

  it('names every missing search attribute, then the one left, then a wrong type', async () => {
    const all = await checkNamespace(connection, 'default');
    expect(all.ready).toBe(false);
    const allMessage = all.ready ? '' : all.message;
    expect(allMessage).toContain(
      'lacks the search attribute(s) OnboardingStage=Keyword, CustomerId=Keyword, OndatoIdvId=Keyword, KycStatus=Keyword, Outcome=Keyword',
    );
    expect(allMessage).toContain(
      'temporal operator search-attribute create --namespace default --name OnboardingStage --type Keyword',
    );

    // Without the operator service, visibility queries find the same missing attributes.
    await expect(checkNamespace(withoutOperatorService(connection), 'default')).resolves.toEqual(all);

    const readyzAll = await readyz(bareAddress, 'default');
    expect(readyzAll).toEqual({
      status: 503,
      body: { status: 'unavailable', temporal: 'reachable', reason: allMessage },
    });
    const worker = await runWorkerProcess({ TEMPORAL_ADDRESS: bareAddress, TEMPORAL_NAMESPACE: 'default' });
    expect(worker.code).toBe(1);
    expect(worker.output).toContain(`[worker] fatal: ${allMessage}`);
    expect(worker.output).not.toContain('worker polling');

    // All but Outcome: only Outcome is named.
    const searchAttributes: Record<string, temporal.api.enums.v1.IndexedValueType> = {};
    for (const key of SEARCH_ATTRIBUTE_KEYS) if (key.name !== 'Outcome') searchAttributes[key.name] = KEYWORD;
    await connection.operatorService.addSearchAttributes({ namespace: 'default', searchAttributes });
    const one = await checkNamespace(connection, 'default');
    expect(one).toEqual({
      ready: false,
      reason: 'search-attributes',
      message: expect.stringContaining('lacks the search attribute(s) Outcome=Keyword: register them'),
    });
    expect(one.ready ? '' : one.message).not.toContain('CustomerId');
    await expect(checkNamespace(withoutOperatorService(connection), 'default')).resolves.toEqual(one);

    // Outcome as Text: present, but a Keyword query on it would not behave.
    await connection.operatorService.addSearchAttributes({
      namespace: 'default',
      searchAttributes: { Outcome: TEXT },
    });
    const typed = await checkNamespace(connection, 'default');
    expect(typed).toEqual({
      ready: false,
      reason: 'search-attributes',
      message:
        'Temporal namespace "default" has search attribute(s) of the wrong type: Outcome is TEXT, expected KEYWORD',
    });
    expect((await readyz(bareAddress, 'default')).status).toBe(503);
  });

  it('lets the worker start and poll when the namespace is ready', async () => {
    const worker = await runWorkerProcess(
      {
        TEMPORAL_ADDRESS: readyAddress,
        TEMPORAL_NAMESPACE: namespace,
        WORKFLOW_BUNDLE_PATH: bundlePath,
        LOG_LEVEL: 'info',
      },
      /worker polling/,
    );
    expect(worker.output).toContain('worker polling');
    expect(worker.code).toBe(0);
  });
});
