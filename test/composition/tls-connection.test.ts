/**
 * The connection factory against a TLS-protected Temporal: the dev server behind a TLS-terminating proxy that
 * demands a client certificate signed by the test's CA (mTLS), as a self-hosted cluster or Temporal Cloud with
 * certificates does. The client (API side) and a worker (NativeConnection) both connect with the CA, certificate
 * and key from configuration, run a workflow, and fail clearly without them. API keys: a stand-in gRPC server
 * records what the connection sends.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createSecureServer, type Http2SecureServer, type ServerHttp2Session } from 'node:http2';
import {
  connect as netConnect,
  createServer as createNetServer,
  type AddressInfo,
  type Socket,
} from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createDataConverter } from '../../codec/data-converter';
import { connectTemporalClient } from '../../composition/client';
import { temporalConnectionOptions, TemporalTlsFileError } from '../../composition/connection';
import { loadConfig, type Env } from '../../config';
import { harness } from '../harness/env';

const ROOT = path.resolve(__dirname, '..', '..');
const dir = mkdtempSync(path.join(tmpdir(), 'temporal-tls-'));
const file = (name: string): string => path.join(dir, name);

function openssl(args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A CA, a server certificate for temporal.test and 127.0.0.1, and a client certificate, all signed by the CA. */
function makeCertificates(): void {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl([
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=onboarding-test-ca',
  ]);
  const leaf = (name: string, subject: string, extensions: string): void => {
    writeFileSync(file(`${name}.ext`), extensions);
    openssl(['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]);
    openssl([
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
    ]);
  };
  leaf(
    'server',
    '/CN=temporal.test',
    'basicConstraints=CA:FALSE\nsubjectAltName=DNS:temporal.test,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n',
  );
  leaf('client', '/CN=onboarding-worker', 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n');
  // A client certificate from a CA the proxy does not trust.
  openssl([
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'rogue.key',
    '-out',
    'rogue.pem',
    '-days',
    '2',
    '-subj',
    '/CN=rogue',
  ]);
}

/** The real worker entry point, to its exit (async: the proxy lives in this process's event loop). */
function runWorkerProcess(env: NodeJS.ProcessEnv): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'workers', 'main.ts')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'test', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, stderr });
    });
  });
}

/** TLS in front, plaintext gRPC behind: only clients with a certificate from the test CA get through. */
function startMtlsProxy(
  upstream: string,
): Promise<{ server: TlsServer; port: number; close(): Promise<void> }> {
  const [host, port] = [upstream.slice(0, upstream.lastIndexOf(':')), Number(upstream.split(':').pop())];
  const sockets = new Set<Socket>();
  const server = createTlsServer(
    {
      key: readFileSync(file('server.key')),
      cert: readFileSync(file('server.pem')),
      ca: readFileSync(file('ca.pem')),
      requestCert: true,
      rejectUnauthorized: true,
      ALPNProtocols: ['h2'],
    },
    (tlsSocket) => {
      const plain = netConnect(port, host);
      sockets.add(tlsSocket);
      sockets.add(plain);
      tlsSocket.pipe(plain).pipe(tlsSocket);
      const closeBoth = (): void => {
        tlsSocket.destroy();
        plain.destroy();
        sockets.delete(tlsSocket);
        sockets.delete(plain);
      };
      tlsSocket.on('error', closeBoth).on('close', closeBoth);
      plain.on('error', closeBoth).on('close', closeBoth);
    },
  );
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        server,
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

beforeAll(() => makeCertificates());
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Temporal connection over TLS', () => {
  const { address: devServer, namespace } = harness();
  let proxy: Awaited<ReturnType<typeof startMtlsProxy>>;
  let proxyAddress: string;
  const tlsEnv = (overrides: Partial<Record<keyof Env, string>> = {}): NodeJS.ProcessEnv => ({
    TEMPORAL_ADDRESS: proxyAddress,
    TEMPORAL_NAMESPACE: namespace,
    TEMPORAL_TLS_CA_FILE: file('ca.pem'),
    TEMPORAL_TLS_CERT_FILE: file('client.pem'),
    TEMPORAL_TLS_KEY_FILE: file('client.key'),
    ...overrides,
  });
  /** A short connect timeout: a refused handshake should fail the test quickly, not after 10 s. */
  const options = (env: NodeJS.ProcessEnv) => ({
    ...temporalConnectionOptions(loadConfig(env).temporal),
    connectTimeout: 3_000,
  });

  beforeAll(async () => {
    proxy = await startMtlsProxy(devServer);
    proxyAddress = `127.0.0.1:${proxy.port}`;
  });
  afterAll(async () => {
    await proxy?.close();
  });

  it('connects the client and a worker with the CA and a client certificate, and runs a workflow', async () => {
    const config = loadConfig(tlsEnv({ TEMPORAL_TLS_SERVER_NAME: 'temporal.test' }));
    expect(config.temporal.tls).toEqual({
      caFile: file('ca.pem'),
      clientCertFile: file('client.pem'),
      clientKeyFile: file('client.key'),
      serverName: 'temporal.test',
    });
    const client = await connectTemporalClient(config);
    const workerConnection = await NativeConnection.connect(temporalConnectionOptions(config.temporal));
    try {
      const taskQueue = `tls-${randomUUID()}`;
      const worker = await Worker.create({
        connection: workerConnection,
        namespace,
        taskQueue,
        workflowsPath: require.resolve('../fixtures/probe-workflows'),
        // The client encrypts payloads with the configured keys; the worker must read them.
        dataConverter: createDataConverter(config),
      });
      const result = await worker.runUntil(
        client.client.workflow.execute('probeWorkflow', {
          taskQueue,
          workflowId: `tls-probe-${randomUUID()}`,
          args: ['over-mtls'],
        }),
      );
      expect(result).toBe('probed over-mtls');
    } finally {
      await workerConnection.close();
      await client.close();
    }
  });

  it('verifies the server by its address when no server name is configured', async () => {
    const connection = await Connection.connect(options(tlsEnv()));
    await expect(connection.workflowService.getSystemInfo({})).resolves.toBeDefined();
    await connection.close();
  });

  it('fails clearly without a client certificate, with an untrusted one, or without the CA', async () => {
    const noCertificate = tlsEnv({ TEMPORAL_TLS_CERT_FILE: '', TEMPORAL_TLS_KEY_FILE: '' });
    expect(loadConfig(noCertificate).temporal.tls).toEqual({ caFile: file('ca.pem') });
    const rogue = tlsEnv({
      TEMPORAL_TLS_CERT_FILE: file('rogue.pem'),
      TEMPORAL_TLS_KEY_FILE: file('rogue.key'),
    });
    const noCa = tlsEnv({ TEMPORAL_TLS_CA_FILE: '' });
    for (const env of [noCertificate, rogue, noCa]) {
      await expect(Connection.connect(options(env))).rejects.toThrow(
        /Failed to connect before the deadline|UNAVAILABLE|handshake/i,
      );
      await expect(NativeConnection.connect(options(env))).rejects.toThrow(
        /connect|tls|certificate|handshake|transport/i,
      );
    }
  });

  it('says what it tried when it cannot connect: the client factory and the worker process', async () => {
    const noCertificate = tlsEnv({
      TEMPORAL_TLS_CERT_FILE: '',
      TEMPORAL_TLS_KEY_FILE: '',
      TEMPORAL_CONNECT_TIMEOUT_MS: '3000',
    });
    const tried = new RegExp(
      `^cannot connect to Temporal at ${proxyAddress} over TLS \\(CA ${file('ca.pem')}, no client certificate\\): `,
    );
    await expect(connectTemporalClient(loadConfig(noCertificate))).rejects.toThrow(tried);

    const worker = await runWorkerProcess(noCertificate);
    expect(worker.status).toBe(1);
    expect(worker.stderr).toMatch(
      /\[worker\] fatal: cannot connect to Temporal at .* over TLS \(CA .*ca\.pem, no client certificate\): (Failed to call GetSystemInfo|.*transport)/,
    );
  });

  it('gives up, saying so, on a server that accepts TCP and never completes the handshake', async () => {
    const held = new Set<Socket>();
    const silent = createNetServer((socket) => held.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentAddress = `127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      const env = {
        TEMPORAL_ADDRESS: silentAddress,
        TEMPORAL_TLS: 'true',
        TEMPORAL_CONNECT_TIMEOUT_MS: '2000',
      };
      const started = Date.now();
      const worker = await runWorkerProcess(env);
      expect(worker.status).toBe(1);
      expect(worker.stderr).toContain(
        `[worker] fatal: cannot connect to Temporal at ${silentAddress} over TLS (the system's CA roots, ` +
          'no client certificate): no answer within 2000 ms (TEMPORAL_CONNECT_TIMEOUT_MS)',
      );
      expect(Date.now() - started).toBeLessThan(30_000);
      await expect(connectTemporalClient(loadConfig(env))).rejects.toThrow(
        `cannot connect to Temporal at ${silentAddress} over TLS`,
      );
    } finally {
      for (const socket of held) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('refuses a server whose certificate does not carry the configured name', async () => {
    const env = tlsEnv({ TEMPORAL_TLS_SERVER_NAME: 'someone-else.test' });
    await expect(NativeConnection.connect(options(env))).rejects.toThrow(/certificate|name|invalid/i);
    await expect(Connection.connect(options(env))).rejects.toThrow();
  });

  it('names the variable of an unreadable certificate file', () => {
    const env = tlsEnv({ TEMPORAL_TLS_CA_FILE: file('missing-ca.pem') });
    expect(() => temporalConnectionOptions(loadConfig(env).temporal)).toThrow(TemporalTlsFileError);
    expect(() => temporalConnectionOptions(loadConfig(env).temporal)).toThrow(
      /TEMPORAL_TLS_CA_FILE=.*missing-ca\.pem cannot be read/,
    );
  });

  it('refuses incomplete TLS settings and an API key without TLS', () => {
    expect(() => loadConfig({ TEMPORAL_TLS_CERT_FILE: file('client.pem') })).toThrow(
      /TEMPORAL_TLS_CERT_FILE, TEMPORAL_TLS_KEY_FILE: set both/,
    );
    expect(() => loadConfig({ TEMPORAL_API_KEY: 'k', TEMPORAL_TLS: 'false' })).toThrow(
      /TEMPORAL_TLS: cannot be false/,
    );
    expect(loadConfig({}).temporal.tls).toBeUndefined();
    expect(loadConfig({ TEMPORAL_API_KEY: 'k' }).temporal.tls).toEqual({});
  });
});

describe('Temporal API keys (Temporal Cloud)', () => {
  let server: Http2SecureServer;
  let address: string;
  const seen: string[] = [];
  const sessions = new Set<ServerHttp2Session>();

  beforeAll(async () => {
    // A stand-in frontend: records the authorization header, answers every call UNAUTHENTICATED.
    server = createSecureServer({
      key: readFileSync(file('server.key')),
      cert: readFileSync(file('server.pem')),
      ALPNProtocols: ['h2'],
    });
    server.on('session', (session) => sessions.add(session));
    server.on('stream', (stream, headers) => {
      seen.push(String(headers.authorization ?? '(none)'));
      stream.respond(
        {
          ':status': 200,
          'content-type': 'application/grpc',
          'grpc-status': '16',
          'grpc-message': 'stand-in',
        },
        { endStream: true },
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const session of sessions) session.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('sends the key as a bearer token over TLS, from the client and from the worker connection', async () => {
    const env = {
      TEMPORAL_ADDRESS: address,
      TEMPORAL_API_KEY: 'cloud-api-key-123',
      TEMPORAL_TLS_CA_FILE: file('ca.pem'),
    };
    const connectionOptions = {
      ...temporalConnectionOptions(loadConfig(env).temporal),
      connectTimeout: 3_000,
    };
    expect(connectionOptions.apiKey).toBe('cloud-api-key-123');
    await Connection.connect(connectionOptions).then(
      (connection) => connection.close(),
      () => undefined,
    );
    await NativeConnection.connect(connectionOptions).then(
      (connection) => connection.close(),
      () => undefined,
    );
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(new Set(seen)).toEqual(new Set(['Bearer cloud-api-key-123']));
  });
});
