/**
 * Scenario 3: Ondato misbehaves. The worker restarts with a short credential-refusal window
 * (ONDATO_AUTH_RETRY_WINDOW_MS) and request timeout (ONDATO_REQUEST_TIMEOUT_MS).
 *
 * Phase 1, random faults: about one request in five to each Ondato route fails, drawn per request by the
 * simulator's probabilistic fault rules: on the API routes 429 with Retry-After, 500/502/503, dropped connections,
 * bodies that break the schema or are not JSON (on downloads: a body cut off before its Content-Length; one such
 * cut always happens); on the token route a stall past the request timeout; and every few seconds a burst of 401s
 * on getIdv and getKyc, even right after a token refresh (each 401 makes the worker fetch a new token, which may
 * stall), shorter than the window. Every flow must finish right.
 *
 * Phase 2, one burst longer than the window: 401s on getIdv and getKyc until every run of the phase has parked
 * (`needs_attention`, reason OndatoAuthFailed, the backend told by an `onboarding.needs_attention` callback): half
 * while the customer's finish is being confirmed (getIdv), half while Ondato's late decision is fetched (getKyc).
 * Then the burst ends, ops resume each run (`POST /v1/onboardings/:id/resume` with an ops key, or the
 * `resumeRun` update where the API has no such route yet), and every run completes.
 */
import type { OnboardingStatus } from '../../api/schemas';
import { resumeUpdate } from '../../contract';
import type { FaultRequest } from '../../simulator/control-schemas';
import type { FaultRule } from '../../simulator/faults';
import { answersBetween, describeAnswers, no5xxButRetryLater, readAnswerCounts } from '../api-answers';
import { say, scenarioResult, type Check, type ScenarioResult } from '../report';
import { chaosTimeouts, delay, Driver, mix, type Run } from '../runs';
import type { ChaosStack } from '../stack';
import { verifyRuns } from '../verify';

export interface OndatoFaultsOptions {
  runs: number;
  /** Runs that go through the long 401 burst and must park. */
  parkRuns: number;
  /** ONDATO_AUTH_RETRY_WINDOW_MS of the worker. */
  authWindowMs: number;
  /** ONDATO_REQUEST_TIMEOUT_MS of the worker: a stalled token request is longer. */
  requestTimeoutMs: number;
  /** Short 401 bursts: how long, and how often. */
  burstMs: number;
  burstEveryMs: number;
  /** Every fault kind must have been injected at least once (off for small runs, where chance may skip one). */
  requireEveryFault: boolean;
  deadlineMs: number;
}

const FLOW_TIMEOUT_MS = 400_000;

/** The API routes; the token route has its own fault (stalls), so that every route fails about 20 % of the time. */
const API_ROUTES = ['createIdv', 'getIdv', 'getKyc', 'downloadFile'] as const;
/** About 20 % of the requests of every API route: 1 − (1 − p)ⁿ over the rules below is 0.20. */
const MIX: Array<{ kind: string; rule: Omit<FaultRequest, 'route'> }> = [
  { kind: '429 Retry-After', rule: { mode: 'retryAfter', retryAfterSeconds: 1, probability: 0.055 } },
  { kind: '5xx', rule: { mode: 'status', status: 503, probability: 0.02 } },
  { kind: '5xx', rule: { mode: 'status', status: 500, probability: 0.02 } },
  { kind: '5xx', rule: { mode: 'status', status: 502, probability: 0.015 } },
  { kind: 'connection reset', rule: { mode: 'drop', probability: 0.055 } },
  { kind: 'malformed body', rule: { mode: 'malformed', malformed: 'missing_field', probability: 0.03 } },
  { kind: 'malformed body', rule: { mode: 'malformed', malformed: 'invalid_json', probability: 0.025 } },
];
const RANDOM_FAULTS: Array<{ kind: string; rule: FaultRequest }> = API_ROUTES.flatMap((route) =>
  MIX.map((entry) => ({ kind: entry.kind, rule: { ...entry.rule, route } })),
);
/**
 * Faults that must happen at least once in every run, whatever the draws: a download cut off after its headers
 * (Content-Length promised, connection closed mid-body), and (added by the plan) a stalled token. Re-added after
 * each swap until one of their kind was injected.
 */
const ONCE: Array<{ kind: string; rule: FaultRequest }> = [
  { kind: 'download cut off mid-body', rule: { route: 'downloadFile', mode: 'malformed', times: 1 } },
];
const AUTH_BURST: FaultRequest[] = [
  { route: 'getIdv', mode: 'status', status: 401 },
  { route: 'getKyc', mode: 'status', status: 401 },
];

/** The simulator's rules, swapped as a whole (its control API clears all rules at once); hits are tallied. */
class FaultPlan {
  readonly hits = new Map<string, number>();
  /** ONCE, plus one stalled token (the token route is quiet while no 401 makes the worker refresh). */
  private readonly once: Array<{ kind: string; rule: FaultRequest }>;

  constructor(
    private readonly stack: ChaosStack,
    private readonly tokenStall: FaultRequest,
  ) {
    const { probability: _probability, ...stall } = tokenStall;
    this.once = [...ONCE, { kind: 'stalled token', rule: { ...stall, times: 1 } }];
  }

  async set(burst: boolean, random: boolean): Promise<void> {
    await this.tally(await this.stack.control.faults());
    await this.stack.control.clearFaults();
    const once = this.once
      .filter((entry) => (this.hits.get(entry.kind) ?? 0) === 0)
      .map((entry) => entry.rule);
    // 401s first: during a burst every getIdv / getKyc is refused; otherwise the random mix applies.
    for (const rule of [
      ...(burst ? AUTH_BURST : []),
      ...(random ? [...once, this.tokenStall, ...RANDOM_FAULTS.map((entry) => entry.rule)] : []),
    ]) {
      await this.stack.control.setFault(rule);
    }
  }

  private async tally(rules: FaultRule[]): Promise<void> {
    for (const rule of rules) {
      const kind =
        rule.status === 401
          ? '401 after a token refresh'
          : rule.mode === 'latency'
            ? 'stalled token'
            : rule.times !== undefined
              ? (ONCE.find((entry) => entry.rule.route === rule.route && entry.rule.mode === rule.mode)
                  ?.kind ?? rule.mode)
              : (RANDOM_FAULTS.find(
                  (entry) =>
                    entry.rule.mode === rule.mode &&
                    entry.rule.status === rule.status &&
                    entry.rule.malformed === rule.malformed,
                )?.kind ?? rule.mode);
      this.hits.set(kind, (this.hits.get(kind) ?? 0) + rule.hits);
    }
  }
}

export async function ondatoFaultsScenario(
  stack: ChaosStack,
  options: OndatoFaultsOptions,
): Promise<ScenarioResult> {
  const began = Date.now();
  const worker = await stack.restartWorker({
    ONDATO_AUTH_RETRY_WINDOW_MS: String(options.authWindowMs),
    ONDATO_REQUEST_TIMEOUT_MS: String(options.requestTimeoutMs),
  });
  say(
    `  worker pid ${worker.pid} restarted with ONDATO_AUTH_RETRY_WINDOW_MS=${options.authWindowMs}, ONDATO_REQUEST_TIMEOUT_MS=${options.requestTimeoutMs}`,
  );
  const answersBefore = await readAnswerCounts(stack.api);
  const plan = new FaultPlan(stack, {
    route: 'token',
    mode: 'latency',
    latencyMs: options.requestTimeoutMs + 3_000,
    probability: 0.2,
  });
  const driver = new Driver(stack, 'ondato');
  // A download on a worker that died is retried once its heartbeats stop: 10 s rather than the default 30 s.
  const timeouts = chaosTimeouts({ pollIntervalMs: 15_000, downloadHeartbeatTimeoutMs: 10_000 });
  const notes: string[] = [];
  const statsBefore = await stack.control.stats();

  // Phase 1: random faults throughout; short 401 bursts from the moment the customers finish (their webhooks
  // make the worker call getIdv, then getKyc), then every burstEveryMs.
  await plan.set(false, true);
  let bursting = true;
  let bursts = 0;
  let burstLoop: Promise<void> = Promise.resolve();
  const startBursts = (): void => {
    burstLoop = (async () => {
      while (bursting) {
        await plan.set(true, true);
        bursts += 1;
        await delay(options.burstMs);
        await plan.set(false, true);
        await delay(options.burstEveryMs - options.burstMs);
      }
    })();
  };
  const unexpectedParks: string[] = [];
  /** Each park once: the `since` of the parks already resumed, by run. */
  const resumedParks = new Map<Run, Set<string>>();
  const resumeUnexpected = async (run: Run, view: OnboardingStatus | undefined): Promise<void> => {
    const since = view?.attention?.since;
    if (view?.stage !== 'needs_attention' || since === undefined) return;
    const seen = resumedParks.get(run) ?? new Set<string>();
    if (seen.has(since)) return;
    seen.add(since);
    resumedParks.set(run, seen);
    // Within the policy (the window counts from the activity's first attempt, so a call that spent it on other
    // faults parks at the first 401), but not what this phase is about: say so, and resume as ops would.
    run.notes.push(`parked in phase 1 (${view.attention?.reason ?? '?'}), resumed`);
    unexpectedParks.push(`${run.customerId}: ${view.attention?.reason ?? '?'}`);
    await resume(stack, run).catch(() => undefined);
  };
  let phase1: Run[];
  let phase1Closed: Map<string, string>;
  try {
    phase1 = await driver.start(mix(options.runs), timeouts);
    await driver.waitForStage(phase1, ['awaiting_customer'], 120_000);
    startBursts();
    await driver.completeCustomers(phase1);
    const finishing = driver.finishFlows(phase1, FLOW_TIMEOUT_MS);
    phase1Closed = await driver.awaitClosed(phase1, options.deadlineMs, { onOpen: resumeUnexpected });
    await finishing.catch(() => undefined);
  } finally {
    bursting = false;
    await burstLoop;
  }
  const statsAfter = await stack.control.stats();
  const requests =
    Object.values(statsAfter.requests).reduce((sum, value) => sum + value, 0) -
    Object.values(statsBefore.requests).reduce((sum, value) => sum + value, 0);
  await plan.set(false, false);
  const phase1Hits = new Map(plan.hits);
  const injected = [...phase1Hits].map(([kind, count]) => `${kind} ×${count}`).join(', ');
  const randomKinds = new Set(RANDOM_FAULTS.map((entry) => entry.kind));
  const randomHits = [...phase1Hits]
    .filter(([kind]) => randomKinds.has(kind))
    .reduce((sum, [, count]) => sum + count, 0);
  const allHits = [...phase1Hits].reduce((sum, [, count]) => sum + count, 0);
  const share = (hits: number): string => `${((100 * hits) / Math.max(1, requests)).toFixed(1)} %`;
  notes.push(
    `phase 1: ${requests} Ondato requests, ${share(randomHits)} faulted at random, ${share(allHits)} with the stalls, 401 bursts and the cut download; injected: ${injected}; ${bursts} short 401 bursts of ${options.burstMs} ms`,
  );
  say(`  ${notes[notes.length - 1]}`);
  if (unexpectedParks.length > 0) {
    notes.push(`phase 1 runs that parked anyway (resumed): ${unexpectedParks.join(', ')}`);
    say(`  ${notes[notes.length - 1]}`);
  }

  // Phase 2: one 401 burst longer than the window; the runs park, ops resume them after it.
  const phase2 = await driver.start(mix(options.parkRuns, ['approved', 'awaiting_approved']), {
    ...timeouts,
    pollIntervalMs: 60_000,
  });
  await driver.waitForStage(phase2, ['awaiting_customer'], 60_000);
  const viaKyc = phase2.filter((run) => run.flow === 'awaiting_approved');
  const viaIdv = phase2.filter((run) => run.flow !== 'awaiting_approved');
  await driver.completeCustomers(viaKyc);
  await driver.waitForStage(viaKyc, ['awaiting_ondato_review'], 60_000);
  await plan.set(true, false);
  const burstFrom = Date.now();
  await driver.completeCustomers(viaIdv);
  await Promise.all(viaKyc.map((run) => stack.control.decide(run.kycId as string, { status: 'Approved' })));
  const parked = await driver.waitForStage(phase2, ['needs_attention'], options.authWindowMs + 120_000);
  const parkedAt = Date.now();
  const announced = await Promise.all(
    phase2.map((run) =>
      stack.callbacks.waitFor(run.customerId, 'onboarding.needs_attention', 30_000).then(
        () => true,
        () => false,
      ),
    ),
  );
  // The burst is over and Ondato is healthy again: phase 2 is about parking and resuming (phase 1 had the rest).
  await plan.set(false, false);
  const burstMs = Date.now() - burstFrom;
  say(
    `  phase 2: ${phase2.length} runs parked ${((parkedAt - burstFrom) / 1000).toFixed(1)} s into a ${(burstMs / 1000).toFixed(1)} s burst of 401s (window ${options.authWindowMs / 1000} s); resuming them`,
  );
  const resumed = await Promise.all(phase2.map((run) => resume(stack, run)));
  for (const [index, run] of phase2.entries()) {
    run.notes.push(
      `parked at ${parked[index].attention?.step ?? '?'} (${parked[index].attention?.reason ?? '?'})`,
    );
  }
  const closed = await driver.awaitClosed(phase2, options.deadlineMs);
  await plan.set(false, false);

  const parkCheck: Check = {
    name: 'long 401 burst: parked, announced, resumed by ops',
    passed: 0,
    total: phase2.length,
    failures: [],
  };
  for (const [index, run] of phase2.entries()) {
    const attention = parked[index].attention;
    const final = await stack.api.status(run.customerId).catch(() => undefined);
    const resumedByOps = final?.resumes?.some((record) => record.requestedBy === 'chaos-ops') ?? false;
    const problems = [
      attention?.reason === 'OndatoAuthFailed' ? undefined : `parked for ${attention?.reason ?? 'nothing'}`,
      announced[index] ? undefined : 'no needs_attention callback',
      resumed[index] ? undefined : 'resume refused',
      resumedByOps ? undefined : `resumes on record: ${JSON.stringify(final?.resumes ?? [])}`,
    ].filter((problem): problem is string => problem !== undefined);
    if (problems.length === 0) parkCheck.passed += 1;
    else parkCheck.failures?.push(`${run.customerId}: ${problems.join(', ')}`);
  }
  notes.push(
    `phase 2: the burst lasted ${(burstMs / 1000).toFixed(1)} s > window ${options.authWindowMs / 1000} s; resumed via ${stack.api.resumeRoute ? 'POST /v1/onboardings/:id/resume' : 'the resumeRun update'}`,
  );

  const everyRun = [...phase1, ...phase2];
  const verdicts = await verifyRuns(stack, everyRun, new Map([...phase1Closed, ...closed]));
  const answers = answersBetween(answersBefore, await readAnswerCounts(stack.api));
  const retryLater = describeAnswers(answers, (status) => status === 503);
  if (retryLater) notes.push(`503s: ${retryLater}`);
  const checks = [parkCheck, no5xxButRetryLater(answers)];
  if (options.requireEveryFault) checks.push(everyFaultInjected(phase1Hits));
  return scenarioResult(
    'ondato-faults',
    'Ondato faults at ~20 % (429, 5xx, resets, malformed, stalled tokens, short 401 bursts); one long 401 burst parks runs, ops resume them',
    verdicts,
    checks,
    notes,
    Date.now() - began,
  );
}

/** Resumes a parked run as ops do: the API's route with an ops key, or the update where there is no route. */
async function resume(stack: ChaosStack, run: Run): Promise<boolean> {
  if (stack.api.resumeRoute) {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const answer = await stack.api.resume(run.customerId);
      if (answer.status === 200 || answer.status === 202) return true;
      if (answer.status !== 503) {
        run.notes.push(`resume answered ${answer.status}: ${answer.text.slice(0, 200)}`);
        return false;
      }
      await delay(1_000);
    }
    return false;
  }
  await stack.client.workflow
    .getHandle(run.workflowId)
    .executeUpdate(resumeUpdate, { args: [{ requestedBy: 'chaos-ops', note: 'the 401 burst is over' }] });
  return true;
}

function everyFaultInjected(hits: Map<string, number>): Check {
  const kinds = [
    ...new Set([
      ...RANDOM_FAULTS.map((entry) => entry.kind),
      ...ONCE.map((entry) => entry.kind),
      'stalled token',
      '401 after a token refresh',
    ]),
  ];
  const missing = kinds.filter((kind) => (hits.get(kind) ?? 0) === 0);
  return {
    name: 'every fault kind injected in phase 1',
    passed: kinds.length - missing.length,
    total: kinds.length,
    failures: missing.map((kind) => `${kind}: never`),
  };
}
