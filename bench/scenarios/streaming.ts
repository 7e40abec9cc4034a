/**
 * Scenario 4, document streaming: one large document (100 MB by default) from the simulator into storage
 * through the real storeDocument activity, in a child process of its own whose RSS is sampled every 20 ms.
 * Throughput baselines: like for like, `curl` of the same URL to a file in the same directory, then `sha256sum`
 * and `sync` of that file (the activity also hashes and makes the file durable), timed as one; and `curl` to
 * /dev/null, what the transport alone costs. Memory baseline: a bare Node fetch → /dev/null in the same kind of
 * child (what Node itself needs to download, so the ratio shows what the service code adds).
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { toKycSummary } from '../../activities';
import { loadConfig } from '../../config';
import { createOndatoClient } from '../../ondato/client';
import { SimulatorControl } from '../../simulator/control-client';
import { freePort } from '../infra/free-port';
import type { RunContext } from '../infra/run-context';
import { serviceEnv, startSimulatorProcess } from '../infra/service-stack';
import { withScope, type Scope } from '../infra/teardown';
import { median } from '../measure/histories';
import { sampleRss, steadyRss } from '../measure/rss-sampler';
import { figure, type ScenarioResult } from '../report/figures';
import { progress } from '../report/progress';
import { BENCH_REGISTRATION } from './onboarding-api';
import type { StreamingChildMessage, StreamingParentMessage } from './streaming-protocol';

export interface StreamingOptions {
  bytes: number;
  repeats: number;
}

interface Download {
  bytes: number;
  seconds: number;
  /** Peak RSS during the download minus RSS just before it, in bytes. */
  rssGrowth?: number;
  peakRss?: number;
  /** SHA-256 of the bytes, when the download computed one (the activity and the like-for-like baseline). */
  sha256?: string;
}

const MB = 1e6;
const CHILD = path.join(__dirname, 'streaming-child.ts');
const CHILD_TIMEOUT_MS = 300_000;
const WARMUP_BYTES = 4_000_000;

export async function streamingScenario(
  context: RunContext,
  options: StreamingOptions,
): Promise<ScenarioResult> {
  const startedAt = Date.now();
  return withScope('streaming', async (scope) => {
    const documentDir = mkdtempSync(path.join(context.workDir, 'streamed-'));
    scope.defer('streamed documents', () => rmSync(documentDir, { recursive: true, force: true }));
    const simulatorPort = await freePort();
    const env = serviceEnv({
      temporalAddress: '127.0.0.1:7233', // unused: no worker, the activity runs in a mock environment
      temporalNamespace: 'default',
      apiPort: await freePort(),
      simulatorPort,
      callbackUrl: 'http://127.0.0.1:9/unused',
      documentDir,
      documentBytes: options.bytes,
      logLevel: context.logLevel,
    });
    await startSimulatorProcess(scope, context, env);
    const document = await prepareDocument(env, options.bytes);
    // A small document the children stream first, so the measured download runs on compiled code.
    const warmup = await prepareDocument(env, WARMUP_BYTES);

    const runs: Record<'activity' | 'plain' | 'curl' | 'curlFile', Download[]> = {
      activity: [],
      plain: [],
      curl: [],
      curlFile: [],
    };
    const bar = progress(`streaming ${(options.bytes / MB).toFixed(0)} MB`);
    for (let repeat = 0; repeat < options.repeats; repeat += 1) {
      runs.activity.push(await childDownload(scope, context, env, 'activity', document, warmup));
      bar.update(`run ${repeat + 1}/${options.repeats}: activity done`);
      runs.plain.push(await childDownload(scope, context, env, 'plain', document, warmup));
      runs.curl.push(await curlDownload(document.url, document.token));
      runs.curlFile.push(await curlToDurableFile(document.url, document.token, documentDir));
      bar.update(`run ${repeat + 1}/${options.repeats} done`);
    }
    const throughput = (list: Download[]): number => median(list.map((run) => run.bytes / MB / run.seconds));
    const maxGrowth = (list: Download[]): number =>
      Math.max(...list.map((run) => (run.rssGrowth ?? Number.NaN) / MB));
    bar.done(
      `activity ${throughput(runs.activity).toFixed(0)} MB/s, ` +
        `curl + sha256sum + sync ${throughput(runs.curlFile).toFixed(0)} MB/s, ` +
        `curl → /dev/null ${throughput(runs.curl).toFixed(0)} MB/s, ` +
        `RSS +${maxGrowth(runs.activity).toFixed(1)} MB`,
    );

    const complete = (list: Download[]): boolean => list.every((run) => run.bytes === options.bytes);
    const hashes = new Set([...runs.activity, ...runs.curlFile].map((run) => run.sha256));
    return {
      name: 'streaming',
      title: 'Streaming one large document into storage',
      params: { bytes: options.bytes, repeats: options.repeats, rssSampleMs: 20 },
      figures: [
        figure(
          'throughput, like for like',
          'MB/s',
          throughput(runs.activity),
          throughput(runs.curlFile),
          'curl → file + sha256sum + sync',
          { text: '≥ 0.7×', met: (_value, ratio) => ratio !== null && ratio >= 0.7 },
        ),
        figure(
          'throughput, bare transfer',
          'MB/s',
          throughput(runs.activity),
          throughput(runs.curl),
          'curl → /dev/null',
          { text: '≥ 0.35×', met: (_value, ratio) => ratio !== null && ratio >= 0.35 },
        ),
        figure(
          'peak RSS growth',
          'MB',
          maxGrowth(runs.activity),
          maxGrowth(runs.plain),
          'bare Node fetch → /dev/null',
          {
            text: '≤ 30 MB',
            met: (value) => value <= 30,
          },
        ),
      ],
      checks: {
        activityRuns: runs.activity.length,
        allBytesStored: complete(runs.activity),
        curlGotAllBytes: complete(runs.curl),
        curlToFileGotAllBytes: complete(runs.curlFile),
        // The activity and sha256sum saw the same document: the comparison is of the same work.
        sameSha256: hashes.size === 1 && !hashes.has(undefined),
      },
      resources: {},
      details: {
        unit: 'MB = 10^6 bytes',
        plainNodeThroughputMBps: throughput(runs.plain),
        curlToDevNullThroughputMBps: throughput(runs.curl),
        likeForLikeThroughputMBps: throughput(runs.curlFile),
        runs,
      },
      durationMs: Date.now() - startedAt,
    };
  });
}

interface PreparedDocument {
  kycId: string;
  fileId: string;
  url: string;
  token: string;
}

/** A completed verification whose files are `bytes` long, created through the Ondato API like the worker does. */
async function prepareDocument(env: Record<string, string>, bytes: number): Promise<PreparedDocument> {
  const config = loadConfig(env);
  const control = new SimulatorControl(`http://127.0.0.1:${env.SIMULATOR_PORT}`);
  await control.setWebhooks({ url: null }); // nobody listens: there is no API in this scenario
  const ondato = createOndatoClient(config.ondato);
  const { id: idvId } = await ondato.createIdentityVerification({
    setupId: config.ondato.setupId,
    externalReferenceId: 'bench-streaming',
    registration: BENCH_REGISTRATION,
  });
  const completed = await control.complete(idvId, { outcome: 'approved', documentBytes: bytes });
  if (!completed.kycId) throw new Error('the simulator made no identification');
  const summary = toKycSummary(await ondato.getKycIdentification(completed.kycId));
  const fileId = summary.files[0]?.fileId;
  if (!fileId) throw new Error('the identification has no files');
  const tokenResponse = await fetch(config.ondato.hosts.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: config.ondato.clientId,
      client_secret: config.ondato.clientSecret,
    }),
  });
  const { access_token: token } = (await tokenResponse.json()) as { access_token: string };
  return {
    kycId: completed.kycId,
    fileId,
    url: `${config.ondato.hosts.kycApiUrl}/v1/identifications/${completed.kycId}/files/${fileId}`,
    token,
  };
}

/** One download in a fresh child process: RSS from just before `go` to the end, sampled every 20 ms. */
async function childDownload(
  scope: Scope,
  context: RunContext,
  env: Record<string, string>,
  mode: 'activity' | 'plain',
  document: PreparedDocument,
  warmup: PreparedDocument,
): Promise<Download> {
  const logFd = openSync(path.join(context.logDir, `streaming-${mode}.log`), 'a');
  const child = spawn(
    process.execPath,
    [
      '--expose-gc',
      '--import',
      'tsx',
      CHILD,
      mode,
      document.kycId,
      document.fileId,
      warmup.kycId,
      warmup.fileId,
    ],
    {
      cwd: path.resolve(__dirname, '..', '..'),
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', logFd, logFd, 'ipc'],
    },
  );
  closeSync(logFd);
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start the streaming child');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  scope.defer(`streaming child ${pid}`, async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });

  const next = (): Promise<StreamingChildMessage> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`streaming child (${mode}) timed out`)),
        CHILD_TIMEOUT_MS,
      );
      child.once('message', (message: StreamingChildMessage) => {
        clearTimeout(timer);
        resolve(message);
      });
      void exited.then(() => reject(new Error(`streaming child (${mode}) exited early; see its log`)));
    });

  try {
    const ready = await next();
    if (ready.kind !== 'ready')
      throw new Error(`streaming child (${mode}): ${ready.kind === 'failed' ? ready.message : ready.kind}`);
    const before = await steadyRss(pid);
    const sampler = sampleRss(pid, 20);
    const go: StreamingParentMessage = { kind: 'go' };
    child.send(go);
    const result = await next();
    sampler.stop();
    if (result.kind !== 'done')
      throw new Error(
        `streaming child (${mode}): ${result.kind === 'failed' ? result.message : result.kind}`,
      );
    return {
      bytes: result.bytes,
      sha256: result.sha256,
      seconds: result.ms / 1000,
      rssGrowth: sampler.peak() - before,
      peakRss: sampler.peak(),
    };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

/** `curl` of the same URL to /dev/null; its own timer (time_total) excludes process start-up. */
async function curlDownload(url: string, token: string): Promise<Download> {
  const child = spawn(
    'curl',
    [
      '-s',
      '-o',
      '/dev/null',
      '-H',
      `Authorization: Bearer ${token}`,
      '-w',
      '%{http_code} %{size_download} %{time_total}',
      url,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const sampler = child.pid === undefined ? undefined : sampleRss(child.pid, 20);
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  sampler?.stop();
  const [status, size, seconds] = out.trim().split(' ');
  if (code !== 0 || status !== '200') throw new Error(`curl failed (exit ${code}, HTTP ${status})`);
  return { bytes: Number(size), seconds: Number(seconds), peakRss: sampler?.peak() };
}

/**
 * The like-for-like baseline: `curl` of the same URL into a file beside the activity's documents, then
 * `sha256sum` and `sync` of that file (an fsync of it), timed together from curl's start to sync's exit.
 */
async function curlToDurableFile(url: string, token: string, dir: string): Promise<Download> {
  const file = path.join(dir, `curl-${process.pid}-${Date.now()}.bin`);
  try {
    const began = performance.now();
    const curl = await run('curl', [
      '-s',
      '-o',
      file,
      '-H',
      `Authorization: Bearer ${token}`,
      '-w',
      '%{http_code} %{size_download}',
      url,
    ]);
    const hashed = await run('sha256sum', [file]);
    await run('sync', [file]);
    const seconds = (performance.now() - began) / 1000;
    const [status, size] = curl.trim().split(' ');
    if (status !== '200') throw new Error(`curl to a file answered HTTP ${status}`);
    return { bytes: Number(size), seconds, sha256: hashed.split(' ')[0] };
  } finally {
    rmSync(file, { force: true });
  }
}

/** Runs a command to its end; its stdout, or an error naming it. */
async function run(command: string, args: string[]): Promise<string> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`${command} exited with ${code}`);
  return out;
}
