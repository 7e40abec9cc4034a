/**
 * Tracing end to end, on the real dev server and simulator: with OTEL_EXPORTER_OTLP_ENDPOINT pointing at a
 * stand-in collector, one onboarding started over HTTP gives ONE trace from `POST /v1/onboardings` through
 * the Temporal client, the workflow (spans exported from the workflow sandbox through the worker's sink), the
 * activities and their Ondato calls, to the callback delivery. The workflow bundle is the production one (with
 * the tracing interceptor module); the recorded histories still replay with it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import type { OnboardingLink } from '../../api/schemas';
import { loadConfig } from '../../config';
import { startTracing, WORKFLOW_INTERCEPTOR_MODULES, type RunningTracing } from '../../observability/tracing';
import { tracingActive } from '../../observability/tracing-state';
import { testDataConverter } from '../helpers/codec-keys';
import { loadRecordedHistories } from '../helpers/histories';
import {
  createOnboardingTestEnv,
  FAST_TIMEOUTS,
  SAMPLE_REGISTRATION,
  type OnboardingTestEnv,
} from '../helpers/onboarding-env';
import { waitFor } from '../helpers/wait-for';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './otlp-receiver';

jest.setTimeout(120_000);

const QUIET = { info() {}, warn() {}, error: console.error, debug() {}, trace() {}, log() {} };

describe('OpenTelemetry tracing', () => {
  let receiver: OtlpReceiver;
  let tracing: RunningTracing | undefined;
  let env: OnboardingTestEnv;
  let bundleDir: string;
  let bundleCode: string;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    bundleCode = (
      await bundleWorkflowCode({
        workflowsPath: require.resolve('../../workflows'),
        workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
        logger: QUIET,
      })
    ).code;
    bundleDir = mkdtempSync(path.join(tmpdir(), 'onboarding-traced-bundle-'));
    writeFileSync(path.join(bundleDir, 'workflow-bundle.js'), bundleCode);
    // As api/main.ts and workers/main.ts do: from configuration, before the client and worker are built.
    const config = loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint });
    tracing = startTracing(config.observability.tracing, 'onboarding-test');
    env = await createOnboardingTestEnv({
      env: { WORKFLOW_BUNDLE_PATH: path.join(bundleDir, 'workflow-bundle.js') },
    });
  });

  afterAll(async () => {
    await env?.close();
    await tracing?.shutdown();
    await receiver?.close();
    if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
  });

  it('is off without an endpoint: nothing is registered', () => {
    expect(startTracing(loadConfig({}).observability.tracing, 'onboarding-test')).toBeUndefined();
    expect(tracingActive()).toBe(true); // still the one this file started
  });

  it('gives one trace from POST /v1/onboardings through the workflow and activities to the callback', async () => {
    const apiUrl = env.relay.url.replace(/\/webhooks\/ondato$/, '');
    const customerId = `trace-${Date.now().toString(36)}`;
    const response = await fetch(`${apiUrl}/v1/onboardings`, {
      method: 'POST',
      headers: { authorization: 'Bearer dev-api-key', 'content-type': 'application/json' },
      body: JSON.stringify({ customerId, registration: SAMPLE_REGISTRATION, timeouts: FAST_TIMEOUTS }),
    });
    expect(response.status).toBe(201);
    const link = (await response.json()) as OnboardingLink;
    await env.control.complete(link.idvId as string, { outcome: 'approved' });
    await waitFor(async () => (env.callbacks.forCustomer(customerId).length > 0 ? true : undefined), {
      timeoutMs: 30_000,
      what: 'the callback',
    });

    // The workflow's own span ends with the run, just after the callback: wait for it to be exported.
    const spansOf = (traceId: string): ReceivedSpan[] =>
      receiver.spans.filter((span) => span.traceId === traceId);
    const root = await waitFor(
      async () => receiver.spans.find((span) => span.name === 'POST /v1/onboardings' && !span.parentSpanId),
      { timeoutMs: 10_000, what: 'the API span' },
    );
    const trace = await waitFor(
      async () => {
        const spans = spansOf(root.traceId);
        return spans.some((span) => span.name.startsWith('RunWorkflow:')) ? spans : undefined;
      },
      { timeoutMs: 15_000, what: 'the workflow span in the same trace' },
    );
    const names = new Set(trace.map((span) => span.name));
    // For the report: the sample trace's span names in the order they were exported.
    process.stdout.write(
      `sample trace (${trace.length} spans): ${trace.map((span) => span.name).join(', ')}\n`,
    );
    for (const expected of [
      'POST /v1/onboardings',
      'UpdateWithStartWorkflow:customerLink',
      'RunWorkflow:onboardingWorkflow',
      'HandleUpdate:customerLink',
      'StartActivity:createVerification',
      'RunActivity:createVerification',
      'Ondato create_idv',
      'RunActivity:getIdentification',
      'Ondato get_kyc',
      'RunActivity:storeDocuments',
      'Ondato download_file',
      'StartActivity:notifyBackend',
      'RunActivity:notifyBackend',
    ]) {
      expect(names).toContain(expected);
    }
    // One tree: every span but the root has its parent in the same trace. The exception is the customer's
    // aftercare run, started as a child when the onboarding closes: it lives on (for years), so its
    // RunWorkflow span is exported only when it ends, and its activity's spans wait for that parent.
    const ids = new Set(trace.map((span) => span.spanId));
    const orphans = trace.filter((span) => span.parentSpanId && !ids.has(span.parentSpanId));
    expect(orphans.filter((span) => !/^(Start|Run)Activity:aftercarePolicy$/.test(span.name))).toEqual([]);
    expect(names).toContain('StartChildWorkflow:aftercareWorkflow');
    expect(trace.filter((span) => !span.parentSpanId)).toHaveLength(1);
    expect(receiver.rejected).toBe(0);
  });

  it('replays every recorded history with the tracing interceptors in the bundle', async () => {
    const histories = loadRecordedHistories();
    expect(histories.length).toBeGreaterThan(0);
    for (const entry of histories) {
      await expect(
        Worker.runReplayHistory(
          { workflowBundle: { code: bundleCode }, dataConverter: testDataConverter() },
          entry.history,
        ),
      ).resolves.toBeUndefined();
    }
  });
});
