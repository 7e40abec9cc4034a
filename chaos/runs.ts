/**
 * Onboardings as the chaos suite drives them, over the real processes: start through the API, the customer
 * finishes in the simulator with a known outcome (its webhooks go to the API), Ondato decides later or ops review
 * when the flow needs it, and the run is watched until Temporal says it closed.
 */
import { randomUUID } from 'node:crypto';
import type { OnboardingStatus } from '../api/schemas';
import type { FinalOutcome, OnboardingTimeouts, Stage } from '../contract';
import type { CompleteRequest } from '../simulator/control-schemas';
import { runPool } from '../bench/measure/pool';
import { progress } from '../bench/report/progress';
import { ApiCallError } from './service-api';
import type { ChaosStack } from './stack';

/** What driving runs needs of a stack: the chaos stack, or the topology test's cluster (test/cluster). */
export type DrivenStack = Pick<ChaosStack, 'api' | 'control' | 'client'>;

/** What the customer (and Ondato, and ops) do, and so what the run must end with. */
export const FLOWS = {
  approved: { expected: 'approved', documents: true },
  rejected: { expected: 'rejected', documents: true },
  aborted: { expected: 'abandoned', documents: false },
  expired: { expected: 'expired', documents: false },
  /** Ondato keeps the result Awaiting (its own review), then approves. */
  awaiting_approved: { expected: 'approved', documents: true },
  /** A failed rule sends the run to manual review; ops approve / reject. */
  manual_approved: { expected: 'approved', documents: true },
  manual_rejected: { expected: 'rejected', documents: true },
} as const satisfies Record<string, { expected: FinalOutcome; documents: boolean }>;
export type Flow = keyof typeof FLOWS;

/** Every flow once, in a fixed order; `mix(n)` cycles through it. */
const ALL_FLOWS = Object.keys(FLOWS) as Flow[];
export function mix(count: number, flows: readonly Flow[] = ALL_FLOWS): Flow[] {
  return Array.from({ length: count }, (_, index) => flows[index % flows.length]);
}

export interface Run {
  customerId: string;
  workflowId: string;
  flow: Flow;
  expected: FinalOutcome;
  idvId: string;
  kycId?: string;
  /** What happened to this run on the way (killed in a stage, parked, …), for the report. */
  notes: string[];
}

/**
 * Waits that only a webhook ends, with polling as the fallback for lost ones (and for webhooks Ondato retries on
 * its own schedule after the API answered 503). Nothing may expire during the suite.
 */
export function chaosTimeouts(overrides: Partial<OnboardingTimeouts> = {}): Partial<OnboardingTimeouts> {
  return {
    customerDeadlineMs: 24 * 60 * 60 * 1000,
    ondatoReviewDeadlineMs: 24 * 60 * 60 * 1000,
    manualReviewEscalationMs: 24 * 60 * 60 * 1000,
    pollIntervalMs: 20_000,
    ...overrides,
  };
}

const START_CONCURRENCY = 6;
const POLL_MS = 250;
const FAST_POLL_FOR_MS = 10_000;
const SLOW_POLL_MS = 1_000;
/** While waiting for closure: stages read through the API every this many rounds of a second. */
const STAGE_READ_EVERY_ROUNDS = 5;

export class Driver {
  private readonly tag = randomUUID().slice(0, 6);
  private next = 0;

  constructor(
    private readonly stack: DrivenStack,
    private readonly scenario: string,
  ) {}

  /** Starts one onboarding per flow through the API; a 202 (URL not ready yet) is followed up with GETs. */
  async start(flows: Flow[], timeouts: Partial<OnboardingTimeouts>): Promise<Run[]> {
    const started = await runPool({
      count: flows.length,
      concurrency: START_CONCURRENCY,
      task: async (index) => this.startOne(flows[index], timeouts),
    });
    const errors = started.results.filter((result) => result.error !== undefined);
    if (errors.length > 0) throw errors[0].error;
    return started.results
      .sort((a, b) => a.index - b.index)
      .map((result) => result.value)
      .filter((run): run is Run => run !== undefined);
  }

  private async startOne(flow: Flow, timeouts: Partial<OnboardingTimeouts>): Promise<Run> {
    const customerId = `chaos-${this.scenario}-${this.tag}-${this.next++}`;
    const answer = await this.stack.api.start(customerId, timeouts);
    if (![200, 201, 202].includes(answer.status) || !answer.body) {
      throw new ApiCallError(`POST /v1/onboardings (${customerId})`, answer);
    }
    let idvId = answer.body.idvId ?? undefined;
    if (!idvId) {
      // 202: the run exists, Ondato has not given it a verification yet (e.g. createIdv is failing for a while).
      const status = await this.until(customerId, (view) => (view.idvId ? view : undefined), 120_000);
      idvId = status.idvId as string;
    }
    return {
      customerId,
      workflowId: answer.body.workflowId,
      flow,
      expected: FLOWS[flow].expected,
      idvId,
      notes: [],
    };
  }

  /** The customer finishes the Ondato flow as the run's flow says (the simulator sends the webhooks). */
  async completeCustomers(runs: Run[]): Promise<void> {
    await Promise.all(
      runs.map(async (run) => {
        const result = await this.stack.control.complete(run.idvId, completion(run.flow));
        run.kycId = result.kycId;
      }),
    );
  }

  /**
   * What comes after the customer: Ondato's late decision for `awaiting_*` flows (once the run waits for it) and
   * the ops review for `manual_*` flows (once the run is in manual review). Runs for as long as it takes; never
   * rejects (it runs beside other waits): a run it could not drive gets a note, and its checks fail.
   */
  finishFlows(runs: Run[], timeoutMs: number): Promise<void> {
    return Promise.all(
      runs.map((run) =>
        this.finishFlow(run, timeoutMs).catch((error: unknown) => {
          run.notes.push(`driving failed: ${error instanceof Error ? error.message : String(error)}`);
        }),
      ),
    ).then(() => undefined);
  }

  private async finishFlow(run: Run, timeoutMs: number): Promise<void> {
    if (run.flow === 'awaiting_approved') {
      await this.waitForStage([run], ['awaiting_ondato_review'], timeoutMs);
      await this.stack.control.decide(run.kycId as string, { status: 'Approved' });
    } else if (run.flow === 'manual_approved' || run.flow === 'manual_rejected') {
      await this.waitForStage([run], ['manual_review'], timeoutMs);
      const decision = run.flow === 'manual_approved' ? 'approved' : 'rejected';
      // Until the review is on record: an answer lost to a kill or an outage is simply asked again.
      await this.until(
        run.customerId,
        async (view) => {
          if (view.review) return true;
          const answer = await this.stack.api.review(run.customerId, decision);
          return answer.status === 200 ? true : undefined;
        },
        timeoutMs,
        'ops review on record',
      );
    }
  }

  /** Resolves once every run is in one of `stages` (read through the API). */
  async waitForStage(runs: Run[], stages: Stage[], timeoutMs: number): Promise<OnboardingStatus[]> {
    return Promise.all(
      runs.map((run) =>
        this.until(
          run.customerId,
          (view) => (view.stage && stages.includes(view.stage) ? view : undefined),
          timeoutMs,
          `stage ${stages.join(' or ')}`,
        ),
      ),
    );
  }

  /**
   * Watches the runs until Temporal reports each one closed, or the deadline passes; returns the closed status by
   * workflow id (absent: still open at the deadline). Closure is read from Temporal every second; the open runs'
   * stages (for the progress line and `onOpen`) through the API every few seconds only, since reading a run's
   * state costs the API, Temporal and the worker work that the scenario would otherwise have.
   */
  async awaitClosed(
    runs: Run[],
    deadlineMs: number,
    options: { onOpen?: (run: Run, view: OnboardingStatus | undefined) => Promise<void> } = {},
  ): Promise<Map<string, string>> {
    const closed = new Map<string, string>();
    const line = progress(`${this.scenario}: runs closed`);
    const deadline = Date.now() + deadlineMs;
    let open = '';
    for (let round = 0; closed.size < runs.length && Date.now() < deadline; round += 1) {
      const readStages = round % STAGE_READ_EVERY_ROUNDS === 0;
      const stages: Record<string, number> = {};
      await runPool({
        count: runs.length,
        concurrency: 8,
        task: async (index) => {
          const run = runs[index];
          if (closed.has(run.workflowId)) return;
          try {
            const described = await this.stack.client.workflow.getHandle(run.workflowId).describe();
            if (described.status.name !== 'RUNNING') {
              closed.set(run.workflowId, described.status.name);
              return;
            }
          } catch {
            // Temporal away for a moment: ask again next round.
          }
          if (!readStages) return;
          const view = await this.stack.api.status(run.customerId).catch(() => undefined);
          const stage = view?.stage ?? 'unknown';
          stages[stage] = (stages[stage] ?? 0) + 1;
          await options.onOpen?.(run, view);
        },
      });
      if (readStages) {
        open = Object.entries(stages)
          .map(([stage, count]) => `${stage} ${count}`)
          .join(', ');
      }
      line.update(`${closed.size}/${runs.length}${open ? ` (open: ${open})` : ''}`);
      if (closed.size < runs.length) await delay(1_000);
    }
    line.done(`${closed.size}/${runs.length}`);
    return closed;
  }

  /** Polls the run's status view until `probe` returns something; errors (e.g. 503) are retried. */
  async until<T>(
    customerId: string,
    probe: (view: OnboardingStatus) => T | undefined | Promise<T | undefined>,
    timeoutMs: number,
    what = 'a condition',
  ): Promise<T> {
    const began = Date.now();
    const deadline = began + timeoutMs;
    let last: string | undefined;
    for (;;) {
      try {
        const view = await this.stack.api.status(customerId);
        last = `stage ${view.stage ?? '?'}, status ${view.status}`;
        const value = await probe(view);
        if (value !== undefined) return value;
      } catch (error) {
        last = error instanceof Error ? error.message : String(error);
      }
      if (Date.now() > deadline) {
        throw new Error(`${customerId}: no ${what} within ${timeoutMs} ms (last: ${last ?? 'nothing'})`);
      }
      // Quick at first (a kill must land while the run is in its stage), then gentle on a loaded machine.
      await delay(Date.now() - began < FAST_POLL_FOR_MS ? POLL_MS : SLOW_POLL_MS);
    }
  }
}

function completion(flow: Flow): CompleteRequest {
  switch (flow) {
    case 'approved':
      return { outcome: 'approved' };
    case 'rejected':
      return { outcome: 'rejected', statusReason: 'PoorPhotoQuality' };
    case 'aborted':
      return { outcome: 'aborted' };
    case 'expired':
      return { outcome: 'expired' };
    case 'awaiting_approved':
      return { outcome: 'awaiting' };
    case 'manual_approved':
    case 'manual_rejected':
      // Ondato approved, but a rule failed: the policy sends it to a human.
      return {
        outcome: 'approved',
        rules: [
          { name: 'DocumentValid', status: 'Success' },
          { name: 'FaceMatch', status: 'Failed' },
        ],
      };
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
