/**
 * A webhook flood against one run, on a Temporal dev server of its own whose per-run signal cap is low
 * (`history.maximumSignalsPerExecution`), so the cap is reachable in seconds: thousands of replays of one signed
 * delivery and hundreds of distinct forged ones, then the customer finishes and Ondato's real webhooks come
 * while forged ones keep arriving. The run must decide on the real webhook (polling is set to 10 minutes, so
 * only a webhook can wake it in time), nothing may answer 5xx, and the signals that reached the run's history
 * stay under the cap. A run already at the cap answers 503 run_signal_limit, never a 500.
 *
 * The figures (answers by status, signals in history, time to decide) are printed for the record.
 */
import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { signWebhookBody } from '../../api/auth';
import type { OnboardingLink, OnboardingStatus } from '../../api/schemas';
import { SEARCH_ATTRIBUTE_KEYS, onboardingWorkflowId, ondatoWebhookSignal } from '../../contract';
import { devServerChildren, devServerRegistry } from '../../scripts/dev-server-registry';
import { harness } from '../harness/env';
import { waitFor } from '../helpers/wait-for';
import {
  basicAuth,
  bearer,
  createApiTestEnv,
  REGISTRATION,
  uniqueCustomerId,
  type ApiTestEnv,
} from './support/api-env';

jest.setTimeout(180_000);

const SIGNAL_CAP = 120;
const REPLAYS = 3_000;
const FORGED = 300;
const HMAC_SECRET = 'flood-hmac-secret';
/** Only a webhook can wake the run in time: its poll is 10 minutes away. */
const SLOW_POLL = {
  customerDeadlineMs: 30 * 60_000,
  ondatoReviewDeadlineMs: 30 * 60_000,
  manualReviewEscalationMs: 30 * 60_000,
  pollIntervalMs: 10 * 60_000,
};

const registry = devServerRegistry('test');

type Tally = Record<string, number>;
interface Answer {
  status: number;
  body: { status?: string; error?: { code: string } };
  retryAfter: string | null;
}

function count(tally: Tally, key: string): void {
  tally[key] = (tally[key] ?? 0) + 1;
}

/** Runs `task(i)` for i in [0, total) with at most `concurrency` at once. */
async function pool(
  total: number,
  concurrency: number,
  task: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await task(next++);
    }),
  );
}

describe('a webhook flood against one run (own dev server, signal cap ' + SIGNAL_CAP + ')', () => {
  let server: TestWorkflowEnvironment;
  let serverPids: number[] = [];
  let env: ApiTestEnv;

  beforeAll(async () => {
    const before = new Set(devServerChildren(process.pid));
    server = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: harness().cliPath },
        ip: '127.0.0.1',
        searchAttributes: [...SEARCH_ATTRIBUTE_KEYS],
        extraArgs: ['--dynamic-config-value', `history.maximumSignalsPerExecution=${SIGNAL_CAP}`],
      },
    });
    serverPids = devServerChildren(process.pid).filter((pid) => !before.has(pid));
    for (const pid of serverPids) registry.register(pid);
    env = await createApiTestEnv({
      env: {
        TEMPORAL_ADDRESS: server.address,
        TEMPORAL_NAMESPACE: server.namespace ?? 'default',
        WEBHOOK_HMAC_SECRET: HMAC_SECRET,
      },
    });
  });

  afterAll(async () => {
    await env?.close();
    await server?.teardown();
    for (const pid of serverPids) registry.unregister(pid);
  });

  /** Posts over real HTTP to the listening app, signed now (or with the given header). */
  async function post(body: string, signature?: string): Promise<Answer> {
    const response = await fetch(`${env.appUrl}/webhooks/ondato`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: basicAuth(),
        'ondato-signature':
          signature ?? signWebhookBody(HMAC_SECRET, Buffer.from(body), Math.floor(Date.now() / 1000)),
      },
      body,
    });
    return {
      status: response.status,
      body: (await response.json()) as Answer['body'],
      retryAfter: response.headers.get('retry-after'),
    };
  }

  const envelope = (type: string, payload: Record<string, unknown>): string =>
    JSON.stringify({
      id: randomUUID(),
      applicationId: '00000000-0000-4000-8000-0000000000a1',
      createdUtc: new Date().toISOString(),
      type,
      payload,
    });

  async function signalsInHistory(workflowId: string): Promise<number> {
    let signals = 0;
    const { client } = env;
    for await (const run of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
      const history = await client.workflow.getHandle(workflowId, run.runId).fetchHistory();
      signals += (history.events ?? []).filter(
        (event) => event.workflowExecutionSignaledEventAttributes,
      ).length;
    }
    return signals;
  }

  async function start(customerId: string, timeouts = SLOW_POLL): Promise<OnboardingLink> {
    const response = await fetch(`${env.appUrl}/v1/onboardings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: bearer() },
      body: JSON.stringify({ customerId, registration: REGISTRATION, timeouts }),
    });
    expect(response.status).toBe(201);
    return (await response.json()) as OnboardingLink;
  }

  async function statusOf(customerId: string): Promise<OnboardingStatus> {
    const response = await fetch(`${env.appUrl}/v1/onboardings/${customerId}`, {
      headers: { authorization: bearer() },
    });
    return (await response.json()) as OnboardingStatus;
  }

  it('decides on the real webhook; replays and forged deliveries never reach the cap; no 5xx', async () => {
    const customerId = uniqueCustomerId('flood');
    const workflowId = onboardingWorkflowId(customerId);
    const link = await start(customerId);
    const idvId = link.idvId as string;
    const answers: Record<string, Tally> = { replays: {}, forged: {}, during: {} };
    const tallyAnswer = (tally: Tally, answer: Answer) =>
      count(tally, `${answer.status} ${answer.body.status ?? answer.body.error?.code ?? '?'}`);

    // 1. One signed delivery, replayed with its signature: the first is relayed, the rest are replays.
    const replayed = envelope('IdentityVerification.StatusChanged', {
      id: idvId,
      externalReferenceId: customerId,
      status: 'InProgress',
    });
    const signature = signWebhookBody(HMAC_SECRET, Buffer.from(replayed), Math.floor(Date.now() / 1000));
    const floodStarted = Date.now();
    tallyAnswer(answers.replays, await post(replayed, signature));
    await pool(REPLAYS - 1, 50, async () => tallyAnswer(answers.replays, await post(replayed, signature)));

    // 2. Distinct forged deliveries (validly signed: a leaked secret), half naming another verification.
    await pool(FORGED, 25, async (index) => {
      const body = envelope('IdentityVerification.StatusChanged', {
        id: index % 2 === 0 ? idvId : randomUUID(),
        externalReferenceId: customerId,
        status: 'Completed',
      });
      tallyAnswer(answers.forged, await post(body));
    });
    const floodMs = Date.now() - floodStarted;

    // 3. The customer finishes: Ondato's real webhooks arrive while forged ones keep coming.
    let forging = true;
    const background = Promise.all(
      Array.from({ length: 10 }, async () => {
        while (forging) {
          const body = envelope('KycIdentification.Approved', {
            id: randomUUID(),
            identityVerificationId: randomUUID(),
            externalReferenceId: customerId,
          });
          tallyAnswer(answers.during, await post(body));
        }
      }),
    );
    // The forged stream is under way before the customer finishes.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const finishedAt = Date.now();
    await env.control.complete(idvId, { outcome: 'approved' });
    // Figures first, verdicts after: a run that does not decide still has its answers reported.
    const decided = await waitFor(
      async () => {
        const state = await statusOf(customerId);
        return state.outcome ? state : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250, what: 'the run to decide on the real webhook' },
    )
      .catch(() => undefined)
      .finally(() => {
        forging = false;
      });
    await background;
    const decidedAfterMs = Date.now() - finishedAt;
    const signals = await signalsInHistory(workflowId);

    process.stdout.write(
      `[flood] replays: ${JSON.stringify(answers.replays)}; forged: ${JSON.stringify(answers.forged)} ` +
        `(${REPLAYS + FORGED} in ${floodMs} ms); forged during the real webhooks: ${JSON.stringify(answers.during)}; ` +
        `signals in history: ${signals} (cap ${SIGNAL_CAP}); outcome ${decided?.outcome ?? 'none'} ${decidedAfterMs} ms after the customer finished\n`,
    );
    const all = [answers.replays, answers.forged, answers.during].flatMap((tally) => Object.keys(tally));
    expect(all.filter((key) => !key.startsWith('200 '))).toEqual([]);
    expect(answers.replays).toEqual({ '200 relayed': 1, '200 replayed': REPLAYS - 1 });
    expect(decided?.outcome).toBe('approved');
    expect(decidedAfterMs).toBeLessThan(30_000);
    expect(signals).toBeLessThan(SIGNAL_CAP);
  });

  it('answers 503 run_signal_limit (Retry-After), not 500, for a run already at the cap', async () => {
    const customerId = uniqueCustomerId('capped');
    const workflowId = onboardingWorkflowId(customerId);
    const link = await start(customerId);
    // Straight to Temporal, as a relay without a budget would: up to the cap.
    const handle = env.client.workflow.getHandle(workflowId);
    let sent = await signalsInHistory(workflowId);
    while (sent < SIGNAL_CAP) {
      await handle.signal(ondatoWebhookSignal, {
        deliveryId: randomUUID(),
        type: 'IdentityVerification.StatusChanged',
      });
      sent += 1;
    }
    const answer = await post(
      envelope('IdentityVerification.StatusChanged', { id: link.idvId, externalReferenceId: customerId }),
    );
    expect(answer.status).toBe(503);
    expect(answer.body.error?.code).toBe('run_signal_limit');
    expect(answer.retryAfter).toBe('60');
  });
});
