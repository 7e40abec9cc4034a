/**
 * Scenario 4: hostile and odd webhooks at the running API while runs are open, and the simulator's own
 * duplicate and reorder switches on. Every request must get the answer the API documents (never a 5xx but the
 * documented 503 for a recent event whose run is not visible yet), the runs must not move on a forged delivery
 * (the payload is only a trigger: the workflow re-fetches from Ondato), a delivery counts once however often it
 * comes, and every run must still finish right once its customer really finishes.
 *
 * Per open run: one delivery three times (same id), a KYC event before its IDV event (both forged: Ondato says
 * nothing happened), the legacy `Idv.StatusChanged` name, and an event naming another verification. Generic:
 * no / wrong / garbage Basic auth, a product API key, bodies that are not JSON or not an envelope, 2 MB bodies,
 * unknown customers and verifications (old and recent), event types the service does not act on.
 */
import { randomUUID } from 'node:crypto';
import type { WebhookAck } from '../../api/schemas';
import { BENCH_CREDENTIALS, basicAuthHeader } from '../../bench/infra/credentials';
import { keysOf } from '../../config/api-keys';
import { runPool } from '../../bench/measure/pool';
import { answersBetween, describeAnswers, no5xxButRetryLater, readAnswerCounts } from '../api-answers';
import { say, scenarioResult, type Check, type ScenarioResult } from '../report';
import { chaosTimeouts, delay, Driver, mix, type Run } from '../runs';
import type { ChaosStack } from '../stack';
import { verifyRuns } from '../verify';

export interface HostileWebhooksOptions {
  runs: number;
  deadlineMs: number;
}

const FLOW_TIMEOUT_MS = 300_000;
const TWO_MB = 2 * 1024 * 1024;

interface Expectation {
  status: number;
  /** `error.code` for refusals, `status` of the acknowledgement for 2xx; any of these. */
  codes?: string[];
}

interface HostileCase {
  name: string;
  body: string | Buffer;
  authorization?: string | null;
  expect: Expectation;
}

export async function hostileWebhooksScenario(
  stack: ChaosStack,
  options: HostileWebhooksOptions,
): Promise<ScenarioResult> {
  const began = Date.now();
  const answersBefore = await readAnswerCounts(stack.api);
  await stack.control.setWebhooks({ duplicate: true, reorder: true });
  try {
    const driver = new Driver(stack, 'hostile');
    const runs = await driver.start(mix(options.runs), chaosTimeouts());
    await driver.waitForStage(runs, ['awaiting_customer'], 60_000);
    const receivedBefore = await Promise.all(runs.map(async (run) => webhooksReceived(stack, run)));

    // While the runs wait: every hostile case, and the per-run ones whose effect on the run can be counted.
    const answered: Check = {
      name: 'hostile webhooks answered as documented',
      passed: 0,
      total: 0,
      failures: [],
    };
    const open = runs.flatMap((run) => perRunCases(run, ['relayed']));
    await fire(stack, [...genericCases(stack), ...open.map((entry) => entry.hostile)], answered);
    say(
      `  ${answered.total} hostile webhooks sent while ${runs.length} runs wait; ${answered.passed} as documented`,
    );

    // The runs took each distinct delivery once and did not move on any of them.
    const unmoved: Check = {
      name: 'runs unmoved by forged deliveries, each counted once',
      passed: 0,
      total: 0,
      failures: [],
    };
    await delay(1_000);
    for (const [index, run] of runs.entries()) {
      unmoved.total += 1;
      const distinct = new Set(open.filter((entry) => entry.run === run).map((entry) => entry.deliveryId))
        .size;
      const view = await driver
        .until(
          run.customerId,
          (status) =>
            (status.webhooksReceived ?? 0) - receivedBefore[index] >= distinct ? status : undefined,
          20_000,
          `${distinct} more webhooks received`,
        )
        .catch(() => stack.api.status(run.customerId));
      const counted = (view.webhooksReceived ?? 0) - receivedBefore[index];
      if (counted === distinct && view.stage === 'awaiting_customer') unmoved.passed += 1;
      else
        unmoved.failures?.push(
          `${run.customerId}: ${counted} deliveries counted (sent ${distinct} distinct), stage ${view.stage}`,
        );
    }

    // The customers finish (the simulator duplicates and reorders its webhooks) under a second barrage.
    const finishing = (async () => {
      await driver.completeCustomers(runs);
      await driver.finishFlows(runs, FLOW_TIMEOUT_MS);
    })();
    // Awaited below, after the barrage; handled now so a failure meanwhile is not an unhandled rejection.
    finishing.catch(() => undefined);
    await fire(
      stack,
      [
        ...genericCases(stack),
        // A run may have closed by the time its forged delivery arrives: no_run is the documented answer then.
        // With the simulator's own deliveries on top, a run's signal budget may be spent: merged is documented.
        ...runs.flatMap((run) =>
          perRunCases(run, ['relayed', 'no_run', 'merged']).map((entry) => entry.hostile),
        ),
      ],
      answered,
    );
    await finishing;
    const closed = await driver.awaitClosed(runs, options.deadlineMs);
    const verdicts = await verifyRuns(stack, runs, closed);
    const answers = answersBetween(answersBefore, await readAnswerCounts(stack.api));
    const log = await stack.control.webhookLog();
    const idvs = new Set(runs.map((run) => run.idvId));
    const simulated = log.deliveries.filter((delivery) => idvs.has(delivery.idvId));
    const notes = [
      `${simulated.length} deliveries from the simulator (duplicated and reordered) for these runs`,
      `answers: ${describeAnswers(answers, () => true)}`,
    ];
    return scenarioResult(
      'hostile-webhooks',
      'hostile webhooks at the API while runs are open; duplicate and reordered deliveries',
      verdicts,
      [answered, unmoved, no5xxButRetryLater(answers)],
      notes,
      Date.now() - began,
    );
  } finally {
    await stack.control.setWebhooks({ duplicate: false, reorder: false });
  }
}

async function fire(stack: ChaosStack, cases: HostileCase[], check: Check): Promise<void> {
  await runPool({
    count: cases.length,
    concurrency: 8,
    task: async (index) => {
      const hostile = cases[index];
      check.total += 1;
      try {
        const answer = await stack.api.webhook(hostile.body, hostile.authorization);
        const body = answer.body as (Partial<WebhookAck> & { error?: { code?: string } }) | undefined;
        const code = answer.status < 300 ? body?.status : body?.error?.code;
        const { status, codes } = hostile.expect;
        if (
          answer.status === status &&
          (codes === undefined || (code !== undefined && codes.includes(code)))
        ) {
          check.passed += 1;
        } else {
          check.failures?.push(
            `${hostile.name}: ${answer.status} ${code ?? answer.text.slice(0, 80)}, expected ${status} ${codes?.join('|') ?? ''}`,
          );
        }
      } catch (error) {
        check.failures?.push(
          `${hostile.name}: no answer (${error instanceof Error ? error.message : String(error)})`,
        );
      }
    },
  });
}

function envelope(
  type: string,
  payload: Record<string, unknown>,
  options: { id?: string; createdUtc?: string } = {},
): string {
  return JSON.stringify({
    id: options.id ?? randomUUID(),
    applicationId: '00000000-0000-4000-8000-0000000000a1',
    createdUtc: options.createdUtc ?? new Date().toISOString(),
    type,
    payload,
  });
}

/** Deliveries aimed at one open run, each with the delivery id the run should count once. */
function perRunCases(
  run: Run,
  acks: string[],
): Array<{ run: Run; deliveryId: string; hostile: HostileCase }> {
  const relayed = { status: 200, codes: acks };
  const entries: Array<{ run: Run; deliveryId: string; hostile: HostileCase }> = [];
  const add = (name: string, deliveryId: string, body: string, expect: Expectation = relayed): void => {
    entries.push({
      run,
      deliveryId,
      hostile: { name: `${name} (${run.customerId})`, body, expect },
    });
  };
  // The API answers a delivery id it already took from memory (`duplicate`, or `replayed` for the same signed
  // request); the copies go out concurrently, so any of them may be the one relayed.
  const copies = { status: 200, codes: [...acks, 'duplicate', 'replayed'] };
  const reference = { externalReferenceId: run.customerId };
  // The same delivery three times: Ondato redelivers; the run counts it once.
  const duplicate = randomUUID();
  const completed = envelope(
    'IdentityVerification.StatusChanged',
    { id: run.idvId, ...reference, status: 'Completed' },
    { id: duplicate },
  );
  for (let copy = 1; copy <= 3; copy += 1) add(`duplicate ${copy}/3`, duplicate, completed, copies);
  // Reordered: the KYC decision before the IDV event that precedes it. Both forged: Ondato says Pending.
  const kycFirst = randomUUID();
  add(
    'reordered: KYC event first',
    kycFirst,
    envelope(
      'KycIdentification.Approved',
      { id: randomUUID(), identityVerificationId: run.idvId, ...reference, status: 'Approved' },
      { id: kycFirst },
    ),
  );
  const idvSecond = randomUUID();
  add(
    'reordered: IDV event second',
    idvSecond,
    envelope(
      'IdentityVerification.StatusChanged',
      { id: run.idvId, ...reference, status: 'Completed' },
      { id: idvSecond },
    ),
  );
  const legacy = randomUUID();
  add(
    'legacy Idv.StatusChanged',
    legacy,
    envelope('Idv.StatusChanged', { id: run.idvId, ...reference }, { id: legacy }),
  );
  const other = randomUUID();
  add(
    'another verification',
    other,
    envelope(
      'IdentityVerification.StatusChanged',
      { id: randomUUID(), ...reference, status: 'Completed' },
      { id: other },
    ),
  );
  return entries;
}

function genericCases(stack: ChaosStack): HostileCase[] {
  const unauthorized = { status: 401, codes: ['unauthorized'] };
  const valid = envelope('IdentityVerification.StatusChanged', {
    id: randomUUID(),
    externalReferenceId: `chaos-nobody-${randomUUID().slice(0, 8)}`,
  });
  const padded = (): string => {
    const base = JSON.parse(envelope('Form.Submitted', { id: randomUUID() })) as Record<string, unknown>;
    return JSON.stringify({ ...base, padding: 'x'.repeat(TWO_MB) });
  };
  const old = '2020-01-01T00:00:00';
  return [
    { name: 'no credentials', body: valid, authorization: null, expect: unauthorized },
    {
      name: 'wrong password',
      body: valid,
      authorization: basicAuthHeader(BENCH_CREDENTIALS.webhookUsername, 'guess'),
      expect: unauthorized,
    },
    {
      name: 'wrong user',
      body: valid,
      authorization: basicAuthHeader('ondato', BENCH_CREDENTIALS.webhookPassword),
      expect: unauthorized,
    },
    { name: 'garbage Basic', body: valid, authorization: 'Basic !!!not-base64', expect: unauthorized },
    { name: 'empty Basic', body: valid, authorization: 'Basic ', expect: unauthorized },
    {
      name: 'the product API key',
      body: valid,
      authorization: `Bearer ${keysOf(stack.config.api.keys)[0]}`,
      expect: unauthorized,
    },
    { name: '2 MB, bad credentials', body: padded(), authorization: 'Basic AAAA', expect: unauthorized },
    { name: '2 MB body', body: padded(), expect: { status: 413, codes: ['payload_too_large'] } },
    { name: 'truncated JSON', body: '{"id": ', expect: { status: 400, codes: ['malformed_json'] } },
    {
      name: 'not JSON',
      body: 'id=1&type=IdentityVerification.StatusChanged',
      expect: { status: 400, codes: ['malformed_json'] },
    },
    { name: 'empty body', body: '', expect: { status: 400, codes: ['malformed_json'] } },
    {
      name: 'binary',
      body: Buffer.from([0xff, 0xfe, 0x00, 0x01]),
      expect: { status: 400, codes: ['malformed_json'] },
    },
    { name: 'JSON null', body: 'null', expect: { status: 400, codes: ['validation_failed'] } },
    { name: 'JSON array', body: '[]', expect: { status: 400, codes: ['validation_failed'] } },
    {
      name: 'envelope without payload',
      body: JSON.stringify({
        id: 'x',
        type: 'IdentityVerification.StatusChanged',
        createdUtc: new Date().toISOString(),
      }),
      expect: { status: 400, codes: ['validation_failed'] },
    },
    { name: 'unknown customer', body: valid, expect: { status: 200, codes: ['no_run'] } },
    {
      name: 'unknown verification, old',
      body: envelope('IdentityVerification.StatusChanged', { id: randomUUID() }, { createdUtc: old }),
      expect: { status: 200, codes: ['no_run'] },
    },
    {
      name: 'unknown verification of a KYC event, old',
      body: envelope(
        'KycIdentification.Approved',
        { id: randomUUID(), identityVerificationId: randomUUID() },
        { createdUtc: old },
      ),
      expect: { status: 200, codes: ['no_run'] },
    },
    {
      // Documented: a recent event may precede its run in visibility, so Ondato is asked to redeliver.
      name: 'unknown verification, recent',
      body: envelope('IdentityVerification.StatusChanged', { id: randomUUID() }),
      expect: { status: 503, codes: ['run_not_visible_yet'] },
    },
    {
      name: 'a reference that is no customer id',
      body: envelope('IdentityVerification.StatusChanged', { externalReferenceId: '../../etc/passwd' }),
      expect: { status: 200, codes: ['unroutable'] },
    },
    {
      name: 'an id that is no IDV id',
      body: envelope('IdentityVerification.StatusChanged', { id: "x' OR 1=1 --" }, { createdUtc: old }),
      expect: { status: 200, codes: ['unroutable'] },
    },
    {
      name: 'KYB event',
      body: envelope('KybIdentification.Approved', { id: randomUUID() }),
      expect: { status: 200, codes: ['ignored'] },
    },
    {
      name: 'unknown event type',
      body: envelope('Something.New', { id: randomUUID() }),
      expect: { status: 200, codes: ['ignored'] },
    },
  ];
}

async function webhooksReceived(stack: ChaosStack, run: Run): Promise<number> {
  return (await stack.api.status(run.customerId)).webhooksReceived ?? 0;
}
