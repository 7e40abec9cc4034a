/**
 * The topology test (`npm run test:cluster`): on `npm run cluster`'s stack — PostgreSQL, the Temporal server
 * with SQL visibility, two workers and two API replicas from dist/, the simulator, one balancer in front of the
 * APIs — 42 onboardings of every flow, started alternately through the two APIs, while the stack is broken
 * three ways: one API SIGKILLed while webhooks flow (the balancer sends the next ones to the other replica; a
 * webhook cut in flight gets a 502 and the simulator redelivers it, as Ondato does), one worker SIGKILLed with
 * runs in flight, and the Temporal server SIGKILLed and started again. Every run must end with the right outcome,
 * exactly one completion callback and its documents intact (decrypted from the store and compared by sha256 with
 * the simulator's originals); visibility queries on CustomerId must answer, from PostgreSQL; after a restart of
 * the whole cluster the runs are still there. First, a start with an Idempotency-Key answered by API 1 is replayed
 * byte for byte by API 2 (the key's record is in the shared bucket).
 */
import { randomUUID } from 'node:crypto';
import { BENCH_CREDENTIALS } from '../../bench/infra/credentials';
import { Driver, chaosTimeouts, delay, mix, type Run } from '../../chaos/runs';
import { verifyRuns, type RunVerdict } from '../../chaos/verify';
import { POSTGRES } from '../../deploy/topology';
import { SAMPLE_REGISTRATION } from '../../simulator/sample-registration';
import { removeTestData, startClusterUnderTest, type ClusterUnderTest } from './support/cluster-under-test';
import { printTable } from './support/report';

const RUNS = 42;
const BATCHES = 3;
const CLOSE_DEADLINE_MS = 10 * 60_000;
const log = (line: string): void => {
  process.stderr.write(`[cluster-test] ${line}\n`);
};

let under: ClusterUnderTest | undefined;
let passed = false;

afterAll(async () => {
  await under?.close();
  if (passed) removeTestData();
}, 120_000);

test('the production topology completes every onboarding through an API kill, a worker kill and a Temporal crash', async () => {
  const coldStart = Date.now();
  under = await startClusterUnderTest(log);
  const t = under;
  const startSeconds = (Date.now() - coldStart) / 1000;
  const startSteps = [...t.cluster.timings];
  log(
    `cluster up in ${startSeconds.toFixed(1)} s: API ${t.cluster.urls.api}, Temporal ${t.cluster.urls.temporal}`,
  );

  // Idempotency keys across the replicas: API 2 replays API 1's answer from the shared bucket.
  const idempotency = await replayAcrossReplicas(t);
  log(`idempotency: ${JSON.stringify(idempotency)}`);

  const drivers = t.apis.map(
    (api, index) => new Driver({ api, control: t.control, client: t.client }, `cluster-api${index + 1}`),
  );
  const flows = mix(RUNS);
  const began = Date.now();
  // Even runs through API 1, odd ones through API 2.
  const perApi = await Promise.all(
    drivers.map((driver, replica) =>
      driver.start(
        flows.filter((_, index) => index % drivers.length === replica),
        chaosTimeouts(),
      ),
    ),
  );
  const runs: Run[] = flows.map(
    (_, index) => perApi[index % drivers.length][Math.floor(index / drivers.length)],
  );
  const startedAt = new Map(runs.map((run) => [run.customerId, Date.now()]));
  log(
    `${runs.length} runs started through ${drivers.length} APIs in ${((Date.now() - began) / 1000).toFixed(1)} s`,
  );
  // Ondato's late decisions and the ops reviews, for as long as the runs need them.
  const finishing = Promise.all(
    drivers.map((driver, replica) => driver.finishFlows(perApi[replica], CLOSE_DEADLINE_MS)),
  );

  const batchSize = Math.ceil(runs.length / BATCHES);
  const batches = Array.from({ length: BATCHES }, (_, index) =>
    runs.slice(index * batchSize, (index + 1) * batchSize),
  );
  const kills: string[] = [];

  // 1. The customers of batch 1 finish; API 1 dies (SIGKILL) while their webhooks flow through the balancer.
  const before = t.cluster.balancer.stats();
  const completing = drivers[0].completeCustomers(batches[0]);
  await delay(150);
  const api = t.cluster.apis[0];
  await api.kill();
  kills.push(`API 1 SIGKILL (pid ${api.pid}) while batch 1's webhooks flowed; back after 4 s`);
  await completing;
  await delay(4_000);
  await t.cluster.startApi(0);
  const after = t.cluster.balancer.stats();
  const rerouted = after.refusedSkipped - before.refusedSkipped;
  const cutInFlight = after.failedInFlight - before.failedInFlight;
  log(`API 1 down: ${rerouted} webhook(s) sent to API 2 instead, ${cutInFlight} cut in flight (redelivered)`);

  // 2. Batch 2's customers finish; worker 1 dies (SIGKILL) while the runs fetch and store their documents.
  await drivers[1].completeCustomers(batches[1]);
  await delay(1_500);
  const worker = t.cluster.workers[0];
  const openAtKill = await openRuns(t, batches[1]);
  await worker.kill();
  kills.push(
    `worker 1 SIGKILL (pid ${worker.pid}) with ${openAtKill} of batch 2's runs open; back after 2 s`,
  );
  await delay(2_000);
  await t.cluster.startWorker(0);

  // 3. Batch 3's customers finish; the Temporal server crashes (SIGKILL) and starts again on its databases.
  await drivers[0].completeCustomers(batches[2]);
  await delay(1_000);
  const serverPid = t.cluster.temporal.process().pid;
  const openAtCrash = await openRuns(t, batches[2]);
  const crashBegan = Date.now();
  await t.cluster.temporal.restart('SIGKILL');
  const downSeconds = (Date.now() - crashBegan) / 1000;
  kills.push(
    `Temporal server SIGKILL (pid ${serverPid}) with ${openAtCrash} of batch 3's runs open; serving again after ${downSeconds.toFixed(1)} s`,
  );

  const closed = await drivers[0].awaitClosed(runs, CLOSE_DEADLINE_MS);
  await finishing;
  const runsSeconds = (Date.now() - began) / 1000;
  const verdicts = await verifyRuns(
    { client: t.client, callbacks: t.callbacks, ondato: t.ondato, documents: t.documents },
    runs,
    closed,
  );

  // Visibility: each run found by its CustomerId, and the rows are PostgreSQL's.
  const visibility = await visibilityChecks(t, runs);

  // The whole cluster stopped and started again on its data directory: the runs are still there.
  const restart = await t.restart();
  const afterRestart = await t.client.workflow.getHandle(runs[0].workflowId).describe();
  const statusAfterRestart = await t.apis[1].status(runs[0].customerId);

  const durations = runs
    .map((run) => {
      const completed = t.callbacks
        .forCustomer(run.customerId)
        .find((c) => c.event.type === 'onboarding.completed');
      return completed
        ? (completed.receivedAt - (startedAt.get(run.customerId) as number)) / 1000
        : undefined;
    })
    .filter((value): value is number => value !== undefined)
    .sort((a, b) => a - b);
  printTable({
    verdicts,
    kills,
    rerouted,
    cutInFlight,
    visibility,
    documentStore: `${t.config.documents.store} (${t.cluster.s3.endpoint})`,
    timings: {
      clusterStart: startSeconds,
      clusterSteps: startSteps,
      runsWall: runsSeconds,
      runP50: durations[Math.floor(durations.length / 2)] ?? NaN,
      runMax: durations[durations.length - 1] ?? NaN,
      restart,
    },
    write: (line) => process.stderr.write(`${line}\n`),
  });

  const failures = verdicts.filter((verdict) => !ok(verdict));
  expect(
    failures.map(
      (verdict) => `${verdict.run.customerId} (${verdict.run.flow}): ${verdict.problems.join('; ')}`,
    ),
  ).toEqual([]);
  expect(verdicts).toHaveLength(RUNS);
  // The documents were read back from the S3 store, not a local directory.
  expect(t.config.documents.store).toBe('s3');
  expect(idempotency).toEqual({ statuses: [201, 201], replayed: [null, 'true'], sameBytes: true });
  // The API kill happened while webhooks flowed: some went to the other replica or were cut and redelivered.
  expect(rerouted + cutInFlight).toBeGreaterThan(0);
  expect(visibility.byCustomerId).toBe(RUNS);
  expect(visibility.rowsInPostgres).toBe(RUNS);
  expect(visibility.store).toBe(POSTGRES.plugin);
  expect(afterRestart.status.name).toBe('COMPLETED');
  expect(statusAfterRestart.outcome).toBe(runs[0].expected);
  passed = true;
});

function ok(verdict: RunVerdict): boolean {
  return (
    verdict.rightOutcome &&
    verdict.oneCompletedCallback &&
    verdict.documentsIntact &&
    verdict.closed &&
    verdict.notFailed
  );
}

async function openRuns(t: ClusterUnderTest, runs: Run[]): Promise<number> {
  const statuses = await Promise.all(
    runs.map((run) =>
      t.client.workflow
        .getHandle(run.workflowId)
        .describe()
        .then(
          (described) => described.status.name,
          () => 'UNKNOWN',
        ),
    ),
  );
  return statuses.filter((status) => status === 'RUNNING').length;
}

/** One start with an Idempotency-Key sent to each API replica in turn (not through the balancer). */
async function replayAcrossReplicas(
  t: ClusterUnderTest,
): Promise<{ statuses: number[]; replayed: Array<string | null>; sameBytes: boolean }> {
  const key = randomUUID();
  const body = JSON.stringify({
    customerId: `cluster-idempotency-${key.slice(0, 8)}`,
    registration: SAMPLE_REGISTRATION,
    timeouts: chaosTimeouts(),
  });
  const answers: Array<{ status: number; replayed: string | null; text: string }> = [];
  for (const api of t.apis) {
    const response = await fetch(`${api.baseUrl}/v1/onboardings`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${BENCH_CREDENTIALS.apiKey}`,
        'content-type': 'application/json',
        'idempotency-key': key,
      },
      body,
    });
    answers.push({
      status: response.status,
      replayed: response.headers.get('idempotent-replayed'),
      text: await response.text(),
    });
  }
  return {
    statuses: answers.map((answer) => answer.status),
    replayed: answers.map((answer) => answer.replayed),
    sameBytes: answers.every((answer) => answer.text === answers[0].text),
  };
}

export interface VisibilityResult {
  /** Runs whose `CustomerId = '<id>'` query found exactly that run. */
  byCustomerId: number;
  /** Closed runs of the test in PostgreSQL's visibility table (read with psql, not through Temporal). */
  rowsInPostgres: number;
  /** The visibility store the server reports. */
  store: string;
}

async function visibilityChecks(t: ClusterUnderTest, runs: Run[]): Promise<VisibilityResult> {
  let byCustomerId = 0;
  for (const run of runs) {
    // Visibility trails the run's close by a moment: ask again for a few seconds.
    for (let attempt = 0; attempt < 20; attempt += 1) {
      const found: string[] = [];
      for await (const execution of t.client.workflow.list({ query: `CustomerId = '${run.customerId}'` })) {
        found.push(execution.workflowId);
      }
      if (found.length === 1 && found[0] === run.workflowId) {
        byCustomerId += 1;
        break;
      }
      await delay(500);
    }
  }
  const ids = runs.map((run) => `'${run.workflowId.replace(/'/g, "''")}'`).join(',');
  const rows = await t.cluster.postgres.query(
    POSTGRES.databases.visibility,
    `SELECT count(DISTINCT workflow_id) FROM executions_visibility WHERE workflow_id IN (${ids}) AND close_time IS NOT NULL`,
  );
  return { byCustomerId, rowsInPostgres: Number(rows), store: await visibilityStore(t) };
}

async function visibilityStore(t: ClusterUnderTest): Promise<string> {
  const info = await t.client.connection.workflowService.getClusterInfo({});
  return info.visibilityStore ?? '';
}
