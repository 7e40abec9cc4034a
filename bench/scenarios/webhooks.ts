/**
 * Scenario 2, webhook intake: open-loop load at a fixed rate on POST /webhooks/ondato for running
 * onboardings, each delivery a valid Ondato envelope with a unique id. Then every delivery the API answered
 * 2xx must be in its run's history as a signal. Baseline: the same signals at the same rate straight to
 * Temporal (client.workflow.getHandle().signal) from the benchmark process, on the same stack.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { routeWebhook } from '../../api/webhook-routing';
import { ondatoWebhookSignal } from '../../contract';
import { webhookEnvelopeSchema } from '../../ondato/schemas';
import { basicAuthHeader, BENCH_CREDENTIALS } from '../infra/credentials';
import type { RunContext } from '../infra/run-context';
import { startServiceStack, type ServiceStack } from '../infra/service-stack';
import { withScope } from '../infra/teardown';
import {
  payloadReader,
  signalsInHistory,
  type PayloadReader,
  type SignalsInHistory,
} from '../measure/histories';
import type { SendOutcome } from '../measure/open-loop';
import { measureOpenLoop } from '../measure/open-loop-phase';
import { runPool } from '../measure/pool';
import { figure, type ScenarioResult } from '../report/figures';
import { progress, say } from '../report/progress';
import { resourcesTable } from '../report/table';
import { customerIds, startOnboarding, type StartedOnboarding } from './onboarding-api';
import { waitForQuiet } from './quiet';

export interface WebhookOptions {
  rate: number;
  seconds: number;
  /** Unmeasured seconds of the same load before the measured ones. */
  warmupSeconds: number;
  /** Running onboardings the deliveries are spread over. */
  targets: number;
  /** Diagnostic: stop the worker first, so the runs do not react to the signals (intake cost only). */
  withoutWorker: boolean;
}

interface Target extends StartedOnboarding {
  /** The IDV resource as Ondato puts it in a webhook's payload. */
  payload: Record<string, unknown>;
}

const WEBHOOK_TYPE = 'IdentityVerification.StatusChanged';
const SIGNAL_NAME = 'ondatoWebhook';
/** Longer than a workflow task's timeout (10 s), for tasks held by a worker that has stopped. */
const BUFFERED_SIGNALS_GRACE_MS = 30_000;

export async function webhooksScenario(
  context: RunContext,
  options: WebhookOptions,
): Promise<ScenarioResult> {
  const startedAt = Date.now();
  return withScope('webhooks', async (scope) => {
    const stack = await startServiceStack(scope, context, { documentBytes: 64 * 1024 });
    const targets = await startTargets(stack, options.targets);
    await waitForQuiet(stack.control);
    if (options.withoutWorker) {
      // Diagnostic: signals are accepted and queue up unprocessed, so only the intake path is measured.
      await stack.worker.stop();
      say('  worker stopped: measuring intake only (--webhook-without-worker)');
    }

    // Delivery ids each run acknowledged, per phase: what must be found in history afterwards.
    const viaApi = new Map<string, string[]>();
    const direct = new Map<string, string[]>();
    const auth = basicAuthHeader(BENCH_CREDENTIALS.webhookUsername, BENCH_CREDENTIALS.webhookPassword);

    const api = await measureOpenLoop({
      label: `POST /webhooks/ondato at ${options.rate}/s`,
      ratePerSecond: options.rate,
      seconds: options.seconds,
      warmupSeconds: options.warmupSeconds,
      processes: stack.processes(),
      send: async (index): Promise<SendOutcome> => {
        const target = targets[index % targets.length];
        const envelope = envelopeFor(target);
        const answer = await stack.http.postJson('/webhooks/ondato', envelope, { authorization: auth });
        if (answer.status < 200 || answer.status > 299)
          return { ok: false, failure: `HTTP ${answer.status}` };
        const status = (JSON.parse(answer.body) as { status?: string }).status;
        if (status !== 'relayed') return { ok: false, failure: `answered ${status}` };
        remember(viaApi, target.workflowId, envelope.id);
        return { ok: true };
      },
    });
    say(resourcesTable('via the API', api.resources));
    if (!options.withoutWorker) await waitForQuiet(stack.control);

    // The API's own data converter, so the baseline pays for the same encryption and only HTTP is left out.
    const client = stack.client;
    const baseline = await measureOpenLoop({
      label: `direct signals at ${options.rate}/s`,
      ratePerSecond: options.rate,
      seconds: options.seconds,
      warmupSeconds: options.warmupSeconds,
      processes: stack.processes(),
      send: async (index): Promise<SendOutcome> => {
        const target = targets[index % targets.length];
        // The signal the API would send for the same delivery (its own mapping, status hint included), so the
        // runs do the same work in both phases and only the HTTP hop differs.
        const routing = routeWebhook(webhookEnvelopeSchema.parse(envelopeFor(target)));
        if (routing.kind !== 'relay') throw new Error(`the API would not relay a ${WEBHOOK_TYPE} webhook`);
        await client.workflow.getHandle(target.workflowId).signal(ondatoWebhookSignal, routing.signal);
        remember(direct, target.workflowId, routing.signal.deliveryId);
        return { ok: true };
      },
    });
    say(resourcesTable('direct signals', baseline.resources));
    if (!options.withoutWorker) await waitForQuiet(stack.control);

    const check = await findInHistories(client, payloadReader(stack.dataConverter), targets, [
      viaApi,
      direct,
    ]);
    const [apiLost, directLost] = check.lost;
    return {
      name: 'webhooks',
      title: 'Webhook intake under open-loop load',
      params: {
        ratePerSecond: options.rate,
        seconds: options.seconds,
        runningOnboardings: targets.length,
        worker: options.withoutWorker ? 'stopped (intake only)' : 'running',
      },
      figures: [
        figure('latency p50', 'ms', api.latency.p50Ms, baseline.latency.p50Ms, 'direct signal, same rate'),
        figure('latency p95', 'ms', api.latency.p95Ms, baseline.latency.p95Ms, 'direct signal, same rate'),
        figure('latency p99', 'ms', api.latency.p99Ms, baseline.latency.p99Ms, 'direct signal, same rate', {
          text: '≤ 1.1× direct signals',
          met: (_value, ratio) => ratio !== null && ratio <= 1.1,
        }),
        figure('latency max', 'ms', api.latency.maxMs, baseline.latency.maxMs, 'direct signal, same rate'),
        figure('errors', 'requests', api.failed, baseline.failed, 'direct signal, same rate'),
        figure('lost (2xx, not in history)', 'webhooks', apiLost, directLost, 'direct signal, same rate', {
          text: '= 0',
          met: (value) => value === 0,
        }),
      ],
      checks: {
        sent: api.sent,
        acknowledged: api.succeeded,
        errors: api.failed,
        lost: apiLost,
        baselineSent: baseline.sent,
        baselineLost: directLost,
        historiesReadable: check.idsReadable,
      },
      resources: { api: api.resources, direct: baseline.resources },
      details: {
        api: withoutResources(api),
        direct: withoutResources(baseline),
        signalsInHistory: check.signals,
      },
      durationMs: Date.now() - startedAt,
    };
  });
}

async function startTargets(stack: ServiceStack, count: number): Promise<Target[]> {
  const nextId = customerIds('hooks');
  const bar = progress('starting the onboardings that receive webhooks');
  const pool = await runPool({
    count,
    concurrency: Math.min(20, count),
    task: async (index) => {
      const started = await startOnboarding(stack.http, nextId(index));
      const state = await stack.control.verification(started.idvId);
      return { ...started, payload: state.identityVerification };
    },
    onProgress: (done) => bar.update(`${done}/${count}`),
  });
  const failure = pool.results.find((result) => result.error);
  if (failure) throw failure.error;
  bar.done(`${count} running`);
  return pool.results.flatMap((result) => (result.value ? [result.value] : []));
}

/** A valid Ondato delivery for the target's IDV, with a unique id (the dedupe key). */
function envelopeFor(target: Target): { id: string } & Record<string, unknown> {
  return {
    id: randomUUID(),
    applicationId: target.payload.applicationId ?? null,
    createdUtc: new Date().toISOString(),
    type: WEBHOOK_TYPE,
    payload: target.payload,
  };
}

function remember(acknowledged: Map<string, string[]>, workflowId: string, deliveryId: string): void {
  const ids = acknowledged.get(workflowId);
  if (ids) ids.push(deliveryId);
  else acknowledged.set(workflowId, [deliveryId]);
}

/**
 * Every acknowledged delivery must be a signal in its run's history. By delivery id when the payloads can be
 * read; otherwise by count (a run must hold at least as many signals as were acknowledged for it). A signal
 * that arrives while a workflow task is running is buffered by the server and enters the history when that
 * task completes, so a run that still misses some is read again for a while before they count as lost.
 */
async function findInHistories(
  client: Client,
  read: PayloadReader,
  targets: Target[],
  phases: Array<Map<string, string[]>>,
): Promise<{ lost: number[]; signals: number; idsReadable: boolean }> {
  const lost = phases.map(() => 0);
  let signals = 0;
  let idsReadable = true;
  const bar = progress('checking histories');
  await runPool({
    count: targets.length,
    concurrency: 10,
    task: async (index) => {
      const { workflowId } = targets[index];
      const expected = phases.reduce((sum, phase) => sum + (phase.get(workflowId)?.length ?? 0), 0);
      const deadline = Date.now() + BUFFERED_SIGNALS_GRACE_MS;
      let found = await signalsInHistory(client, workflowId, SIGNAL_NAME, read);
      while (missing(found, phases, workflowId, expected) > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        found = await signalsInHistory(client, workflowId, SIGNAL_NAME, read);
      }
      signals += found.count;
      if (!found.deliveryIds) {
        idsReadable = false;
        lost[0] += Math.max(0, expected - found.count);
        return;
      }
      phases.forEach((phase, phaseIndex) => {
        for (const id of phase.get(workflowId) ?? []) if (!found.deliveryIds?.has(id)) lost[phaseIndex] += 1;
      });
    },
    onProgress: (done) => bar.update(`${done}/${targets.length}`),
  });
  bar.done(`${signals} signals found, ${lost.join(' / ')} lost`);
  return { lost, signals, idsReadable };
}

function missing(
  found: SignalsInHistory,
  phases: Array<Map<string, string[]>>,
  workflowId: string,
  expected: number,
): number {
  if (!found.deliveryIds) return Math.max(0, expected - found.count);
  let count = 0;
  for (const phase of phases)
    for (const id of phase.get(workflowId) ?? []) if (!found.deliveryIds.has(id)) count += 1;
  return count;
}

function withoutResources<T extends { resources: unknown }>(phase: T): Omit<T, 'resources'> {
  const { resources: _resources, ...rest } = phase;
  return rest;
}
