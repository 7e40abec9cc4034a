/**
 * Scenario 2: the Temporal dev server goes away and comes back on the same SQLite file and port while runs wait
 * for their customers. During each outage some customers finish (the simulator's webhooks get 503 and Ondato
 * redelivers on its schedule; the runs also poll), and the API is probed: it must say 503 where it needs Temporal
 * and answer the rest as usual. After the restart the other customers finish; every run must close right, and
 * every webhook Ondato sent must end up delivered.
 */
import { randomUUID } from 'node:crypto';
import { answersBetween, describeAnswers, no5xxButRetryLater, readAnswerCounts } from '../api-answers';
import { say, scenarioResult, type Check, type ScenarioResult } from '../report';
import { chaosTimeouts, delay, Driver, mix, type Run } from '../runs';
import type { ChaosStack } from '../stack';
import { keysOf } from '../../config/api-keys';
import { verifyRuns } from '../verify';

export interface TemporalRestartOptions {
  runs: number;
  /** One outage per entry: how the server is stopped. */
  restarts: Array<'SIGTERM' | 'SIGKILL'>;
  /** How long the server stays down (at least until every probe has its answer). */
  downMs: number;
  /**
   * Also probe a start (503 within API_TEMPORAL_TIMEOUT_MS since issue 18; it used to take about 15 s). Off in
   * the quick run, which keeps its outage short.
   */
  probeStart: boolean;
  deadlineMs: number;
}

const FLOW_TIMEOUT_MS = 300_000;

export async function temporalRestartScenario(
  stack: ChaosStack,
  options: TemporalRestartOptions,
): Promise<ScenarioResult> {
  const began = Date.now();
  const answersBefore = await readAnswerCounts(stack.api);
  const driver = new Driver(stack, 'restart');
  // Polling every 10 s: a webhook refused during the outage is also caught by the run itself.
  const runs = await driver.start(mix(options.runs), chaosTimeouts({ pollIntervalMs: 10_000 }));
  await driver.waitForStage(runs, ['awaiting_customer'], 60_000);

  const probes: Check = {
    name: 'API during the outage answered as documented',
    passed: 0,
    total: 0,
    failures: [],
  };
  const notes: string[] = [];
  const moving: Array<Promise<void>> = [];
  // Customers finish in equal shares during each outage and after the last restart.
  const shares = split(runs, options.restarts.length + 1);

  for (const [index, how] of options.restarts.entries()) {
    const pid = stack.temporal.pid();
    await stack.temporal.stop(how);
    const downAt = Date.now();
    say(`  outage ${index + 1}/${options.restarts.length}: Temporal (pid ${pid}) stopped with ${how}`);
    const finishing = shares[index];
    await driver.completeCustomers(finishing);
    for (const run of finishing) run.notes.push(`customer finished during outage ${index + 1}`);
    moving.push(driver.finishFlows(finishing, FLOW_TIMEOUT_MS));
    // The outage lasts until every probe has its answer (a start answers 503 only after API_START_WAIT_MS and
    // one more Temporal call), and at least downMs.
    const probeTimes = await probeDuringOutage(stack, runs[0], probes, options.probeStart);
    await delay(Math.max(0, options.downMs - (Date.now() - downAt)));
    if (index === 0) notes.push(`API answer times while Temporal is down: ${probeTimes}`);
    await stack.temporal.start();
    say(
      `  outage ${index + 1}: Temporal back on ${stack.temporal.address} (pid ${stack.temporal.pid()}, same SQLite file) after ${((Date.now() - downAt) / 1000).toFixed(1)} s; ${finishing.length} customers finished meanwhile`,
    );
    notes.push(`outage ${index + 1} (${how}): ${((Date.now() - downAt) / 1000).toFixed(1)} s down`);
  }
  const last = shares[shares.length - 1];
  await driver.completeCustomers(last);
  moving.push(driver.finishFlows(last, FLOW_TIMEOUT_MS));

  const closed = await driver.awaitClosed(runs, options.deadlineMs);
  await Promise.race([Promise.all(moving).catch(() => undefined), delay(1_000)]);
  const verdicts = await verifyRuns(stack, runs, closed);
  const webhooks = await webhooksDelivered(stack, runs);
  const answers = answersBetween(answersBefore, await readAnswerCounts(stack.api));
  const retryLater = describeAnswers(answers, (status) => status === 503);
  if (retryLater) notes.push(`503s: ${retryLater}`);
  if (webhooks.redelivered > 0)
    notes.push(`${webhooks.redelivered} webhook(s) took Ondato more than one attempt`);
  return scenarioResult(
    'temporal-restart',
    'Temporal dev server stopped and started again on its SQLite file while runs wait',
    verdicts,
    [probes, webhooks.check, no5xxButRetryLater(answers)],
    notes,
    Date.now() - began,
  );
}

/** What the API must answer while Temporal is away: 503 where it needs Temporal, the rest as usual. */
async function probeDuringOutage(
  stack: ChaosStack,
  run: Run,
  check: Check,
  probeStart: boolean,
): Promise<string> {
  const { api } = stack;
  const envelope = JSON.stringify({
    id: randomUUID(),
    applicationId: null,
    createdUtc: new Date().toISOString(),
    type: 'IdentityVerification.StatusChanged',
    payload: { id: run.idvId, externalReferenceId: run.customerId, status: 'Completed' },
  });
  const cases: Array<[string, () => Promise<{ status: number; body?: unknown }>, number, string?]> = [
    ['GET /healthz', () => api.request('GET', '/healthz'), 200],
    ['GET /readyz', () => api.request('GET', '/readyz'), 503],
    [
      'GET /v1/onboardings/:id',
      () => api.request('GET', `/v1/onboardings/${run.customerId}`, auth(stack)),
      503,
    ],
    [
      'POST /v1/onboardings',
      () => api.start(`chaos-outage-${randomUUID().slice(0, 8)}`, chaosTimeouts()),
      503,
      'temporal_unavailable',
    ],
    ['POST /webhooks/ondato (valid)', () => api.webhook(envelope), 503, 'temporal_unavailable'],
    ['POST /webhooks/ondato (bad auth)', () => api.webhook(envelope, 'Basic AAAA'), 401, 'unauthorized'],
    ['POST /webhooks/ondato (bad JSON)', () => api.webhook('{"id": '), 400, 'malformed_json'],
  ];
  const times: string[] = [];
  await Promise.all(
    cases
      .filter(([name]) => probeStart || name !== 'POST /v1/onboardings')
      .map(async ([name, call, status, code]) => {
        check.total += 1;
        const began = Date.now();
        try {
          const answer = await call();
          times.push(`${name} ${answer.status} in ${((Date.now() - began) / 1000).toFixed(1)} s`);
          const gotCode = (answer.body as { error?: { code?: string } } | undefined)?.error?.code;
          if (answer.status === status && (code === undefined || gotCode === code)) check.passed += 1;
          else
            check.failures?.push(
              `${name}: ${answer.status} ${gotCode ?? ''}, expected ${status} ${code ?? ''}`,
            );
        } catch (error) {
          check.failures?.push(`${name}: ${String(error)}`);
        }
      }),
  );
  return times.join(', ');
}

function auth(stack: ChaosStack): { headers: Record<string, string> } {
  return { headers: { authorization: `Bearer ${backendKey(stack)}` } };
}

/** Every webhook the simulator sent for these runs was delivered in the end (after 503s, Ondato retries). */
async function webhooksDelivered(
  stack: ChaosStack,
  runs: Run[],
): Promise<{ check: Check; redelivered: number }> {
  const idvs = new Set(runs.map((run) => run.idvId));
  // Ondato retries after 10 s, 30 s, 1 min…: a delivery refused twice is due a minute later.
  const deadline = Date.now() + 120_000;
  for (;;) {
    const log = await stack.control.webhookLog();
    const ours = log.deliveries.filter((delivery) => idvs.has(delivery.idvId));
    const pending = ours.filter((delivery) => ['pending', 'retrying'].includes(delivery.state));
    if (pending.length === 0 || Date.now() > deadline) {
      const delivered = ours.filter((delivery) => delivery.delivered);
      return {
        check: {
          name: "Ondato's webhooks delivered in the end",
          passed: delivered.length,
          total: ours.length,
          failures: ours
            .filter((delivery) => !delivery.delivered)
            .map(
              (delivery) =>
                `${delivery.type} for ${delivery.idvId}: ${delivery.state}, last ${delivery.lastStatus}`,
            ),
        },
        redelivered: ours.filter((delivery) => delivery.attempts > 1).length,
      };
    }
    await delay(1_000);
  }
}

function split<T>(items: T[], parts: number): T[][] {
  const size = Math.ceil(items.length / parts);
  return Array.from({ length: parts }, (_, index) => items.slice(index * size, (index + 1) * size));
}

/** The bearer token of the stack's first backend key (entries may be written `identity:key`). */
function backendKey(stack: ChaosStack): string {
  const [key] = keysOf(stack.config.api.keys);
  if (!key) throw new Error('the chaos stack has no backend API key');
  return key;
}
