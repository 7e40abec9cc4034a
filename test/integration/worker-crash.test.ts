/**
 * Kill -9 the worker process in the middle of the document downloads, start a new one, and check the run
 * still completes with every file intact: the download activities are retried once their heartbeats stop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { OndatoClient } from '../../ondato/client';
import { getStateQuery } from '../../contract';
import { createOnboardingTestEnv, TEST_CREDENTIALS, type OnboardingTestEnv } from '../helpers/onboarding-env';
import { waitFor } from '../helpers/wait-for';

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '..', '..');
const DOCUMENT_BYTES = 40 * 1024 * 1024;

async function sha256(stream: AsyncIterable<unknown>): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

function startWorkerProcess(env: Record<string, string>): ChildProcess {
  // node itself (with tsx as a loader), not the tsx wrapper: SIGKILL must hit the process that runs the worker.
  const child = spawn(process.execPath, ['--import', 'tsx', 'workers/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.resume();
  return child;
}

describe('worker killed during the downloads', () => {
  let env: OnboardingTestEnv;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    env = await createOnboardingTestEnv({ documentBytes: DOCUMENT_BYTES, runWorker: false });
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await env?.close();
  });

  it('completes after a restart with files identical to Ondato’s', async () => {
    child = startWorkerProcess(env.workerProcessEnv);
    const { link, handle } = await env.start({ timeouts: { downloadHeartbeatTimeoutMs: 2_000 } });
    // Slow every download down so the kill lands while bytes are flowing.
    await env.control.setFault({ route: 'downloadFile', mode: 'latency', latencyMs: 1_500, times: 3 });
    await env.control.complete(link.idvId as string, { outcome: 'approved' });

    await waitFor(
      async () => ((await handle.query(getStateQuery)).stage === 'storing_documents' ? true : undefined),
      {
        intervalMs: 20,
        timeoutMs: 30_000,
      },
    );
    child.kill('SIGKILL');
    await new Promise((resolve) => child?.once('exit', resolve));
    // The kill landed mid-copy: no document was published, at most partial files were left behind.
    expect(listFiles(env.documentsDir).filter((file) => !file.endsWith('.partial'))).toEqual([]);

    await env.startWorker();
    const record = await handle.result();
    expect(record.outcome).toBe('approved');

    const ondato = new OndatoClient({
      hosts: env.config.ondato.hosts,
      clientId: TEST_CREDENTIALS.clientId,
      clientSecret: TEST_CREDENTIALS.clientSecret,
    });
    expect(record.documents.length).toBeGreaterThanOrEqual(2);
    for (const document of record.documents) {
      expect(document.bytes).toBe(DOCUMENT_BYTES);
      // Through the store: decrypted and authenticated (a corrupted file errors the stream).
      const stored = await sha256(await env.documents.get(document.key));
      const download = await ondato.downloadKycFile(record.kycId as string, document.fileId);
      expect(stored).toBe(document.sha256);
      expect(await sha256(download.stream)).toBe(stored);
    }
    expect(listFiles(env.documentsDir).filter((file) => file.endsWith('.partial'))).toEqual([]);
  });
});
