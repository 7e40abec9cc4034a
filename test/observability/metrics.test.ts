/**
 * Metrics from every process, after a real onboarding on the dev server: the API's /metrics, the worker
 * process's own /metrics (WORKER_METRICS_PORT) and the Temporal runtime's Prometheus exporter in that same
 * worker process (WORKER_TEMPORAL_METRICS_PORT) are scraped before and after, and the figures the run should
 * move have moved. The Grafana dashboard may only query metric names these scrapes really contain.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import type { OnboardingLink } from '../../api/schemas';
import {
  createOnboardingTestEnv,
  FAST_TIMEOUTS,
  SAMPLE_REGISTRATION,
  type OnboardingTestEnv,
} from '../helpers/onboarding-env';
import { waitFor } from '../helpers/wait-for';
import { metricNames, parseSamples, promqlMetricNames, total, type Sample } from './prometheus-text';

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '..', '..');
const DOCUMENT_BYTES = 48 * 1024;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function scrape(url: string): Promise<Sample[]> {
  const response = await fetch(url);
  if (response.status !== 200) throw new Error(`${url}: ${response.status}`);
  return parseSamples(await response.text());
}

interface DashboardPanel {
  title?: string;
  targets?: { expr?: string }[];
  panels?: DashboardPanel[];
}

function dashboardExpressions(): { panel: string; expr: string }[] {
  const dashboard = JSON.parse(
    readFileSync(path.join(ROOT, 'deploy', 'grafana', 'onboarding.json'), 'utf8'),
  ) as { panels: DashboardPanel[] };
  const out: { panel: string; expr: string }[] = [];
  const visit = (panels: DashboardPanel[]): void => {
    for (const panel of panels) {
      for (const target of panel.targets ?? [])
        if (target.expr) out.push({ panel: panel.title ?? '?', expr: target.expr });
      visit(panel.panels ?? []);
    }
  };
  visit(dashboard.panels);
  return out;
}

describe('metrics from every process', () => {
  let env: OnboardingTestEnv;
  let worker: ChildProcess | undefined;
  let apiUrl: string;
  let workerUrl: string;
  let runtimeUrl: string;
  const scrapes: { api: Sample[]; worker: Sample[]; runtime: Sample[] }[] = [];

  beforeAll(async () => {
    env = await createOnboardingTestEnv({ documentBytes: DOCUMENT_BYTES, runWorker: false });
    apiUrl = env.relay.url.replace(/\/webhooks\/ondato$/, '');
    const [metricsPort, runtimePort] = [await freePort(), await freePort()];
    workerUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    runtimeUrl = `http://127.0.0.1:${runtimePort}/metrics`;
    // The real worker process (workers/main.ts), configured as a deployment would be.
    worker = spawn(process.execPath, ['--import', 'tsx', 'workers/main.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        ...env.workerProcessEnv,
        LOG_LEVEL: 'warn',
        // Credentials refused for more than a second count as "still refused": a run parks in seconds.
        ONDATO_AUTH_RETRY_WINDOW_MS: '1000',
        WORKER_METRICS_PORT: String(metricsPort),
        WORKER_TEMPORAL_METRICS_PORT: String(runtimePort),
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    await waitFor(async () => (await scrape(workerUrl)).length > 0 || undefined, {
      timeoutMs: 30_000,
      intervalMs: 200,
      what: "the worker's /metrics",
    });
  });

  afterAll(async () => {
    if (worker && worker.exitCode === null) {
      worker.kill('SIGTERM');
      await new Promise((resolve) => worker?.once('exit', resolve));
    }
    await env?.close();
  });

  const scrapeAll = async () => ({
    api: await scrape(`${apiUrl}/metrics`),
    worker: await scrape(workerUrl),
    runtime: await scrape(runtimeUrl),
  });

  it('moves the figures of every endpoint when an onboarding runs', async () => {
    const before = await scrapeAll();
    const customerId = `metrics-${Date.now().toString(36)}`;
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
    // The runtime exports on its own schedule: wait until it shows the finished workflow.
    const after = await waitFor(
      async () => {
        const scraped = await scrapeAll();
        return total(scraped.runtime, 'temporal_workflow_completed') >
          total(before.runtime, 'temporal_workflow_completed')
          ? scraped
          : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 500, what: 'the runtime to count the completed workflow' },
    );
    scrapes.push(before, after);
    const moved = (scrape: 'api' | 'worker' | 'runtime', name: string, labels = {}) =>
      total(after[scrape], name, labels) - total(before[scrape], name, labels);

    // The API: the start by route template and status, the webhooks it relayed, the review backlog gauge.
    expect(
      moved('api', 'onboarding_api_http_requests_total', {
        method: 'POST',
        route: '/v1/onboardings',
        status: '201',
      }),
    ).toBe(1);
    expect(
      moved('api', 'onboarding_api_http_request_duration_seconds_count', { route: '/v1/onboardings' }),
    ).toBe(1);
    expect(moved('api', 'onboarding_api_webhooks_total', { outcome: 'relayed' })).toBeGreaterThanOrEqual(1);
    expect(
      after.api.filter((sample) => sample.name === 'onboarding_runs_waiting').map((s) => s.labels.stage),
    ).toEqual(expect.arrayContaining(['manual_review', 'needs_attention']));

    // The worker's service metrics.
    expect(moved('worker', 'onboarding_runs_started_total')).toBe(1);
    expect(moved('worker', 'onboarding_runs_decided_total', { outcome: 'approved' })).toBe(1);
    expect(
      moved('worker', 'onboarding_callbacks_total', { event: 'onboarding.completed', result: 'delivered' }),
    ).toBe(1);
    expect(
      moved('worker', 'onboarding_ondato_requests_total', { endpoint: 'create_idv', status: 'ok' }),
    ).toBe(1);
    expect(moved('worker', 'onboarding_ondato_requests_total', { endpoint: 'get_kyc', status: 'ok' })).toBe(
      1,
    );
    const documents = moved('worker', 'onboarding_documents_stored_total');
    expect(documents).toBeGreaterThanOrEqual(1);
    expect(
      moved('worker', 'onboarding_ondato_requests_total', { endpoint: 'download_file', status: 'ok' }),
    ).toBe(documents);
    expect(moved('worker', 'onboarding_document_bytes_stored_total')).toBe(documents * DOCUMENT_BYTES);
    expect(
      moved('worker', 'onboarding_ondato_request_duration_seconds_count', { endpoint: 'get_idv' }),
    ).toBeGreaterThanOrEqual(1);
    expect(metricNames(after.worker)).toContain('process_cpu_user_seconds_total');
    expect(metricNames(after.worker)).toContain('nodejs_eventloop_lag_seconds');

    // The Temporal runtime's own (core SDK) metrics, from the same process.
    expect(moved('runtime', 'temporal_workflow_completed')).toBeGreaterThanOrEqual(1);
    expect(moved('runtime', 'temporal_activity_execution_latency_count')).toBeGreaterThanOrEqual(4);
    process.stdout.write(
      `metric names: api ${[...metricNames(after.api)].filter((n) => n.startsWith('onboarding')).join(' ')}\n` +
        `worker ${[...metricNames(after.worker)].filter((n) => n.startsWith('onboarding')).join(' ')}\n` +
        `runtime ${[...metricNames(after.runtime)].join(' ')}\n`,
    );
  });

  it('counts failed and parked runs, Ondato refusals by status, and the runs waiting for ops', async () => {
    const before = await scrapeAll();
    const start = async (customerId: string, timeouts: Record<string, number> = FAST_TIMEOUTS) =>
      fetch(`${apiUrl}/v1/onboardings`, {
        method: 'POST',
        headers: { authorization: 'Bearer dev-api-key', 'content-type': 'application/json' },
        body: JSON.stringify({ customerId, registration: SAMPLE_REGISTRATION, timeouts }),
      });
    const callbackOf = (customerId: string, type: string) =>
      waitFor(
        async () => env.callbacks.forCustomer(customerId).find((callback) => callback.event.type === type),
        { timeoutMs: 30_000, what: `the ${type} callback` },
      );
    const suffix = Date.now().toString(36);

    // Ondato refuses the create (400): the run fails fast.
    await env.control.setFault({ route: 'createIdv', mode: 'status', status: 400, times: 1 });
    const failedId = `metrics-failed-${suffix}`;
    await start(failedId);
    await callbackOf(failedId, 'onboarding.failed');

    // Credentials refused after the customer finished: the run parks, and stays parked.
    const parkedId = `metrics-parked-${suffix}`;
    const parkedLink = (await (
      await start(parkedId, { ...FAST_TIMEOUTS, parkedRetryMs: 600_000 })
    ).json()) as OnboardingLink;
    await env.control.setFault({ route: 'getKyc', mode: 'status', status: 401 });
    await env.control.complete(parkedLink.idvId as string, { outcome: 'approved' });
    await callbackOf(parkedId, 'onboarding.needs_attention');
    await env.control.clearFaults();

    // A failed rule: the run waits for an ops decision.
    const reviewId = `metrics-review-${suffix}`;
    const reviewLink = (await (await start(reviewId)).json()) as OnboardingLink;
    await env.control.complete(reviewLink.idvId as string, {
      outcome: 'approved',
      rules: [{ name: 'SelfieAndDocumentFacesMatch', status: 'Fail' }],
    });

    // Visibility lags a little behind the runs: wait until the API's gauge shows both.
    const after = await waitFor(
      async () => {
        const scraped = await scrapeAll();
        const waiting = (stage: string) => total(scraped.api, 'onboarding_runs_waiting', { stage });
        return waiting('manual_review') >= 1 && waiting('needs_attention') >= 1 ? scraped : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 500, what: 'the waiting runs in the API metrics' },
    );
    const moved = (name: string, labels = {}) =>
      total(after.worker, name, labels) - total(before.worker, name, labels);
    expect(moved('onboarding_runs_failed_total', { failure_type: 'OndatoRequestRejected' })).toBe(1);
    expect(moved('onboarding_ondato_requests_total', { endpoint: 'create_idv', status: '400' })).toBe(1);
    expect(moved('onboarding_callbacks_total', { event: 'onboarding.failed', result: 'delivered' })).toBe(1);
    expect(moved('onboarding_runs_parked_total', { step: 'fetching_results' })).toBe(1);
    expect(
      moved('onboarding_ondato_requests_total', { endpoint: 'get_kyc', status: '401' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      moved('onboarding_callbacks_total', { event: 'onboarding.needs_attention', result: 'delivered' }),
    ).toBe(1);
    // Neither run was decided.
    expect(moved('onboarding_runs_decided_total')).toBe(0);
    scrapes.push(after);

    for (const customerId of [parkedId, reviewId])
      await env.client.workflow.getHandle(`onboarding-${customerId}`).terminate('test over');
  });

  it('reads metric names out of PromQL (so the dashboard check can fail)', () => {
    expect(
      promqlMetricNames(
        'histogram_quantile(0.95, sum by (le, endpoint) (rate(onboarding_ondato_request_duration_seconds_bucket{endpoint=~"$endpoint"}[$__rate_interval])))',
      ),
    ).toEqual(['onboarding_ondato_request_duration_seconds_bucket']);
    expect(promqlMetricNames('sum(rate(no_such_metric_total[5m])) / max(other{a="b"}) or vector(0)')).toEqual(
      ['no_such_metric_total', 'other'],
    );
  });

  it('has a dashboard that queries only metrics the service exports', () => {
    expect(scrapes).toHaveLength(3);
    const exported = new Set<string>();
    for (const scraped of scrapes)
      for (const samples of [scraped.api, scraped.worker, scraped.runtime])
        for (const name of metricNames(samples)) exported.add(name);
    const expressions = dashboardExpressions();
    expect(expressions.length).toBeGreaterThanOrEqual(10);
    const unknown = expressions.flatMap(({ panel, expr }) =>
      promqlMetricNames(expr)
        .filter((name) => !exported.has(name))
        .map((name) => `${panel}: ${name}`),
    );
    expect(unknown).toEqual([]);
  });
});
