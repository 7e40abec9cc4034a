/**
 * docs/runbook.md, executed: a real stack (the harness dev server, a worker with the real activities, the API
 * listening, the Ondato simulator) holds the runs each task needs (rejected, in manual review, parked by a
 * simulator fault, stuck waiting, cancellable), and every `sh` block of the runbook runs through `sh` with the
 * runbook's variables; each is checked by its effect. A block of the runbook that no step runs fails the test.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { createApp } from '../../api/app';
import type { OnboardingList, OnboardingStatus } from '../../api/schemas';
import { connectTemporalClient, type TemporalClient } from '../../composition/client';
import { loadConfig } from '../../config';
import { getStateQuery, type OnboardingWorkflow } from '../../contract';
import { createLogger } from '../../observability/logger';
import { harness } from '../harness/env';
import {
  createOnboardingTestEnv,
  SAMPLE_REGISTRATION,
  type OnboardingTestEnv,
} from '../helpers/onboarding-env';
import { waitFor } from '../helpers/wait-for';
import { RunbookRunner } from './support/runbook';

jest.setTimeout(150_000);

const OPS_IDENTITY = 'ops-runbook';
const OPS_KEY = 'runbook-ops-key-7f3a';
const API_KEY = 'runbook-api-key-19c2';
const CODEC_TOKEN = 'runbook-codec-token-5d0e9b';
const LONG_WAIT = { customerDeadlineMs: 600_000, parkedRetryMs: 600_000 };

describe('docs/runbook.md, every command against a real stack', () => {
  let env: OnboardingTestEnv;
  let runbook: RunbookRunner;
  let api: string;
  const prefix = `rb-${randomUUID().slice(0, 8)}`;
  const ids = {
    rejected: `${prefix}-rejected`,
    review: `${prefix}-review`,
    stuck: `${prefix}-stuck`,
    fresh: `${prefix}-fresh`,
    parkedA: `${prefix}-p1`,
    parkedB: `${prefix}-p2`,
    rotated: `${prefix}-rotated`,
  };
  const handles: Record<string, WorkflowHandle<OnboardingWorkflow>> = {};
  let startedBefore = '';
  let freshRunId = '';
  /** CODEC_KEYS and CODEC_ACTIVE_KEY_ID after the rotation (test 6), for the replay. */
  let rotatedKeys: Record<string, string> = {};
  const tempDir = mkdtempSync(path.join(tmpdir(), 'runbook-'));
  const closers: Array<() => Promise<void>> = [];

  const stateOf = async (customerId: string, base = api): Promise<OnboardingStatus> => {
    const response = await fetch(`${base}/v1/onboardings/${customerId}`, {
      headers: { authorization: `Bearer ${OPS_KEY}` },
    });
    return (await response.json()) as OnboardingStatus;
  };
  const stageIs = (customerId: string, stage: string) =>
    waitFor(async () => ((await stateOf(customerId)).stage === stage ? true : undefined), {
      timeoutMs: 30_000,
      what: `${customerId} in ${stage}`,
    });
  /** Visibility trails the runs by a moment: repeat a listing command until its output passes `accept`. */
  const runUntil = (name: string, vars: Record<string, string>, accept: (output: string) => boolean) =>
    waitFor(
      async () => {
        const output = await runbook.run(name, vars);
        return accept(output) ? output : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 500, what: `runbook:${name} to show what it should` },
    );
  /** The payloads of the CLI's JSON output (memo, search attributes, inputs, results), decoded from base64. */
  const payloadsOf = (output: string): Array<{ encoding: string; data: string }> => {
    const found: Array<{ encoding: string; data: string }> = [];
    const fromBase64 = (text: unknown) => Buffer.from(String(text ?? ''), 'base64').toString('utf8');
    const walk = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(walk);
      else if (value && typeof value === 'object') {
        const record = value as { metadata?: { encoding?: unknown }; data?: unknown };
        if (record.metadata?.encoding !== undefined && 'data' in record)
          found.push({ encoding: fromBase64(record.metadata.encoding), data: fromBase64(record.data) });
        else Object.values(value).forEach(walk);
      }
    };
    walk(JSON.parse(output));
    return found;
  };
  /** Every payload decrypted: none left as ciphertext, and at least one there. */
  const decryptedText = (output: string): string => {
    const payloads = payloadsOf(output);
    expect(payloads.length).toBeGreaterThan(0);
    expect(payloads.filter((payload) => payload.encoding === 'binary/encrypted')).toEqual([]);
    return payloads.map((payload) => payload.data).join('\n');
  };
  const customersListed = (output: string) =>
    (JSON.parse(output) as OnboardingList).items.map((item) => item.customerId);

  beforeAll(async () => {
    env = await createOnboardingTestEnv({
      env: {
        API_KEYS: `backend-runbook:${API_KEY}`,
        API_OPS_KEYS: `${OPS_IDENTITY}:${OPS_KEY}`,
        CODEC_ENDPOINT_TOKENS: CODEC_TOKEN,
        ONDATO_AUTH_RETRY_WINDOW_MS: '1000',
      },
    });
    api = env.relay.url.replace(/\/webhooks\/ondato$/, '');
    const { address, namespace, cliPath } = harness();
    runbook = new RunbookRunner({
      API: api,
      OPS_KEY,
      CODEC_TOKEN,
      TEMPORAL_ADDRESS: address,
      TEMPORAL_NAMESPACE: namespace,
      PATH: `${path.dirname(cliPath)}:${process.env.PATH ?? ''}`,
    });

    // Decided runs first (the fault below would park them too).
    const rejected = await env.start({ customerId: ids.rejected });
    const review = await env.start({ customerId: ids.review });
    handles.rejected = rejected.handle;
    handles.review = review.handle;
    await env.control.complete(rejected.link.idvId as string, { outcome: 'rejected' });
    await env.control.complete(review.link.idvId as string, {
      outcome: 'approved',
      rules: [{ name: 'SelfieAndDocumentFacesMatch', status: 'Fail' }],
    });
    // Parked: Ondato refuses our credentials once the customer finished.
    const parkedA = await env.start({ customerId: ids.parkedA, timeouts: LONG_WAIT });
    const parkedB = await env.start({ customerId: ids.parkedB, timeouts: LONG_WAIT });
    handles.parkedA = parkedA.handle;
    handles.parkedB = parkedB.handle;
    await rejected.handle.result();
    await stageIs(ids.review, 'manual_review');
    await env.control.setFault({ route: 'getKyc', mode: 'status', status: 401 });
    await env.control.complete(parkedA.link.idvId as string, { outcome: 'approved' });
    await env.control.complete(parkedB.link.idvId as string, { outcome: 'approved' });
    // Stuck: waiting for the customer since before STARTED_BEFORE; fresh: since after it.
    handles.stuck = (await env.start({ customerId: ids.stuck, timeouts: LONG_WAIT })).handle;
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    startedBefore = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const fresh = await env.start({ customerId: ids.fresh, timeouts: LONG_WAIT });
    handles.fresh = fresh.handle;
    freshRunId = fresh.link.runId;
    await stageIs(ids.parkedA, 'needs_attention');
    await stageIs(ids.parkedB, 'needs_attention');
  });

  afterAll(async () => {
    for (const customerId of Object.values(ids)) {
      await env?.client.workflow
        .getHandle(`onboarding-${customerId}`)
        .terminate('test cleanup')
        .catch(() => undefined);
    }
    for (const close of closers.reverse()) await close();
    await env?.close();
    rmSync(tempDir, { recursive: true, force: true });
  });

  it('1. finds a rejected run and reads why: state, list, describe, decrypted history', async () => {
    const vars = { CUSTOMER: ids.rejected };
    const state = JSON.parse(await runbook.run('find-state', vars)) as OnboardingStatus;
    expect(state).toMatchObject({ customerId: ids.rejected, outcome: 'rejected', stage: 'completed' });
    expect(state.reasons?.length).toBeGreaterThan(0);

    await runUntil('find-list', vars, (output) => output.includes(`onboarding-${ids.rejected}`));
    const described = await runbook.run('find-describe', vars);
    expect(described).toContain(`onboarding-${ids.rejected}`);
    const memoAndAttributes = decryptedText(described);
    expect(memoAndAttributes).toContain('"completed"'); // OnboardingStage
    expect(memoAndAttributes).toContain(`"${ids.rejected}"`); // CustomerId
    // The runbook's jq paths: the CLI prints memo values decoded, search attributes as base64 JSON.
    const { memo, searchAttributes } = (
      JSON.parse(described) as {
        workflowExecutionInfo: {
          memo: { fields: Record<string, unknown> };
          searchAttributes: { indexedFields: Record<string, { data: string }> };
        };
      }
    ).workflowExecutionInfo;
    expect(memo.fields).toMatchObject({ customerId: ids.rejected });
    expect(memo.fields.idvId).toEqual(expect.any(String));
    const stage = Buffer.from(searchAttributes.indexedFields.OnboardingStage.data, 'base64').toString('utf8');
    expect(JSON.parse(stage)).toBe('completed');
    const history = await runbook.run('find-history', vars);
    expect(history).toContain('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
    const decrypted = decryptedText(history);
    expect(decrypted).toContain(SAMPLE_REGISTRATION.email); // the input, decrypted
    for (const reason of state.reasons ?? []) expect(decrypted).toContain(reason); // the decision record
  });

  it('2. the review queue lists the run; a decision approves it and records the ops key identity', async () => {
    const queue = await runUntil('review-queue', {}, (output) =>
      customersListed(output).includes(ids.review),
    );
    expect(customersListed(queue)).not.toContain(ids.stuck);
    await runUntil('review-queue-cli', {}, (output) => output.includes(`onboarding-${ids.review}`));

    const decided = JSON.parse(
      await runbook.run('review-decide', { CUSTOMER: ids.review }),
    ) as OnboardingStatus;
    expect(decided.review).toMatchObject({ decision: 'approved', reviewerId: OPS_IDENTITY });
    const record = await handles.review.result();
    expect(record.outcome).toBe('approved');
  });

  it('5. stuck runs: started before STARTED_BEFORE and still waiting, by the API, the CLI and a count', async () => {
    const vars = { STARTED_BEFORE: startedBefore };
    const listed = await runUntil('stuck-list', vars, (output) =>
      customersListed(output).includes(ids.stuck),
    );
    expect(customersListed(listed)).not.toContain(ids.fresh);
    const cli = await runUntil('stuck-list-cli', vars, (output) =>
      output.includes(`onboarding-${ids.stuck}`),
    );
    expect(cli).not.toContain(`onboarding-${ids.fresh}`);
    const counted = await runbook.run('stuck-count', vars);
    expect(Number(/Total: (\d+)/.exec(counted)?.[1])).toBeGreaterThanOrEqual(1);
  });

  it('3. parked runs are listed with their reason; a resume after the fix completes the run', async () => {
    const listed = await runUntil('parked-list', {}, (output) =>
      [ids.parkedA, ids.parkedB].every((id) => customersListed(output).includes(id)),
    );
    const parked = (JSON.parse(listed) as OnboardingList).items.find(
      (item) => item.customerId === ids.parkedA,
    );
    expect(parked?.attentionReason).toBe('OndatoAuthFailed');
    await runUntil('parked-list-cli', {}, (output) => output.includes(`onboarding-${ids.parkedA}`));

    await env.control.clearFaults();
    const resumed = JSON.parse(
      await runbook.run('parked-resume', { CUSTOMER: ids.parkedA }),
    ) as OnboardingStatus;
    expect(resumed.stage).not.toBe('needs_attention');
    expect((await handles.parkedA.result()).outcome).toBe('approved');
  });

  it('8. a batch signal resumes every parked run of a prefix; the job is described and listed', async () => {
    const output = await runbook.run('batch-resume', { CUSTOMER_PREFIX: `${prefix}-p` });
    const jobId = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/.exec(output)?.[0];
    expect(jobId).toBeDefined();
    expect((await handles.parkedB.result()).outcome).toBe('approved');
    const resumes = (await handles.parkedB.query(getStateQuery)).resumes ?? [];
    expect(resumes.map((resume) => resume.requestedBy)).toContain('ops-batch');
    await runUntil('batch-describe', { JOB_ID: jobId as string }, (described) =>
      /State\s+Completed/.test(described),
    );
    expect(await runbook.run('batch-list')).toContain(jobId as string);
  });

  it('4. cancels a waiting run; 3. it is a retry candidate and a retry starts a fresh run', async () => {
    const cancelled = JSON.parse(await runbook.run('cancel', { CUSTOMER: ids.fresh })) as OnboardingStatus;
    expect(cancelled.outcome).toBe('cancelled');
    expect((await handles.fresh.result()).outcome).toBe('cancelled');
    const told = await waitFor(async () =>
      env.callbacks.forCustomer(ids.fresh).find((callback) => callback.event.type === 'onboarding.completed'),
    );
    expect(told.event.outcome).toBe('cancelled');

    await runUntil(
      'retry-candidates',
      {},
      (output) => output.includes(`onboarding-${ids.fresh}`) && output.includes(`onboarding-${ids.rejected}`),
    );
    const registrationFile = path.join(tempDir, 'registration.json');
    writeFileSync(registrationFile, JSON.stringify(SAMPLE_REGISTRATION));
    const retried = JSON.parse(
      await runbook.run('retry', { CUSTOMER: ids.fresh, REGISTRATION_FILE: registrationFile }),
    ) as { runId: string; customerUrl?: string };
    expect(retried.runId).not.toBe(freshRunId);
    expect(retried.customerUrl).toEqual(expect.any(String));
    expect((await stateOf(ids.fresh)).stage).toBe('awaiting_customer');
  });

  it('6. rotates the codec key: runs from before decrypt, new runs use the new key', async () => {
    const printed = await runbook.run('rotate-new-key', { CODEC_KEYS: env.workerProcessEnv.CODEC_KEYS });
    const rotated = Object.fromEntries(
      printed
        .trim()
        .split('\n')
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    ) as { CODEC_KEYS: string; CODEC_ACTIVE_KEY_ID: string };
    expect(rotated.CODEC_KEYS.split(',')).toHaveLength(2);
    rotatedKeys = rotated;
    const rotatedEnv = { ...env.workerProcessEnv, ...rotated };

    // The deploy: the worker and an API instance with the rotated ring (the new key active).
    await env.stopWorker();
    await env.startWorker(rotated);
    const config = loadConfig(rotatedEnv);
    const temporal: TemporalClient = await connectTemporalClient(config);
    closers.push(() => temporal.close());
    const server: Server = createServer(
      createApp({ temporal: temporal.client, config, logger: createLogger({ level: 'silent' }) }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );
    const rotatedApi = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const old = await runbook.run('rotate-check-old', { API: rotatedApi, CUSTOMER: ids.rejected });
    expect(decryptedText(old)).toContain(SAMPLE_REGISTRATION.email);

    // A run started after the rotation is encrypted with the new key.
    const response = await fetch(`${rotatedApi}/v1/onboardings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ customerId: ids.rotated, registration: SAMPLE_REGISTRATION }),
    });
    expect(response.status).toBe(201);
    const history = await env.client.workflow.getHandle(`onboarding-${ids.rotated}`).fetchHistory();
    const input = history.events?.[0].workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    expect(Buffer.from(input?.metadata?.['encryption-key-id'] ?? []).toString()).toBe(
      rotated.CODEC_ACTIVE_KEY_ID,
    );
    expect(
      decryptedText(await runbook.run('rotate-check-old', { API: rotatedApi, CUSTOMER: ids.rotated })),
    ).toContain(SAMPLE_REGISTRATION.email);
  });

  it('7. the replay check passes over the runs of the task queue', async () => {
    const output = await runbook.run('replay', {
      ...env.workerProcessEnv,
      ...rotatedKeys,
      WORKFLOW_BUNDLE: harness().bundlePath,
    });
    process.stdout.write(`[runbook] replay:\n${output}\n`);
    expect(output).toMatch(/replay/i);
  });

  it('ran every command of the runbook', () => {
    expect(runbook.names.filter((name) => !runbook.ran.has(name))).toEqual([]);
    expect(runbook.names.length).toBeGreaterThanOrEqual(20);
  });
});
