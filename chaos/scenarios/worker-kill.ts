/**
 * Scenario 1: the worker's node process is SIGKILLed while runs are in each stage that has work in flight, then a
 * new worker starts; every run must still finish right. Each round brings a group of runs into its stage, checks
 * they are all there, kills, restarts, and lets them go on (in the background: the next round does not wait).
 *
 * - awaiting_customer: runs wait for their customers (who finish after the restart, every flow).
 * - fetching_results: `getKyc` answers only after a latency fault, so the call is in flight at the kill (no
 *   heartbeat: it is retried when its start-to-close timeout, 1 minute, passes).
 * - awaiting_ondato_review: Ondato keeps the result Awaiting; it approves after the restart.
 * - storing_documents: downloads answer after a latency fault (heartbeat timeout a little longer), so the kill
 *   lands mid-copy; the copies start over on the new worker.
 * - notifying: the backend holds its answer to the completion callback, so the kill lands with the callback in
 *   flight: the backend sees it again (same event id) after the activity's timeout, 30 s.
 * - manual_review: runs wait for ops, who decide after the restart.
 */
import type { OnboardingStatus } from '../../api/schemas';
import type { Stage } from '../../contract';
import { answersBetween, no5xxButRetryLater, readAnswerCounts } from '../api-answers';
import { say, scenarioResult, type Check, type ScenarioResult } from '../report';
import { chaosTimeouts, delay, Driver, mix, type Flow, type Run } from '../runs';
import type { ChaosStack } from '../stack';
import { verifyRuns } from '../verify';

export const KILL_STAGES = [
  'awaiting_customer',
  'fetching_results',
  'awaiting_ondato_review',
  'storing_documents',
  'notifying',
  'manual_review',
] as const satisfies readonly Stage[];
export type KillStage = (typeof KILL_STAGES)[number];

export interface WorkerKillOptions {
  /** One worker kill per round, with runs in every stage of the round. */
  rounds: KillStage[][];
  runsPerStage: number;
  /** How long after the last kill every run must have closed. */
  deadlineMs: number;
}

const STAGE_TIMEOUT_MS = 90_000;
const FLOW_TIMEOUT_MS = 300_000;
/** Downloads answer after this long; a download silent for longer than the heartbeat timeout is retried. */
const DOWNLOAD_LATENCY_MS = 3_000;
const DOWNLOAD_HEARTBEAT_TIMEOUT_MS = 5_000;
/** Longer than the wait for the stage plus the kill; shorter than the Ondato client's 15 s request timeout. */
const GET_KYC_LATENCY_MS = 10_000;
const CALLBACK_HOLD_MS = 6_000;

interface Group {
  stage: KillStage;
  runs: Run[];
  /** Resting stages stay put; transient ones (work in flight) are brought last, right before the kill. */
  transient: boolean;
  /** Brings the runs into the stage (after start). */
  enter(): Promise<void>;
  /** What moves the runs on after the restart. */
  resume(): Promise<void>;
  /** Extra condition on the runs' state at the kill (e.g. not every document stored yet). */
  inFlight?(view: OnboardingStatus): boolean;
}

export async function workerKillScenario(
  stack: ChaosStack,
  options: WorkerKillOptions,
): Promise<ScenarioResult> {
  const began = Date.now();
  const answersBefore = await readAnswerCounts(stack.api);
  const driver = new Driver(stack, 'kill');
  const timeouts = chaosTimeouts({ downloadHeartbeatTimeoutMs: DOWNLOAD_HEARTBEAT_TIMEOUT_MS });
  const everyRun: Run[] = [];
  const moving: Array<Promise<void>> = [];
  const inStage: Check = {
    name: 'runs in their stage when the worker died',
    passed: 0,
    total: 0,
    failures: [],
  };
  const notes: string[] = [];

  const group = async (stage: KillStage): Promise<Group> => {
    const flows = flowsFor(stage, options.runsPerStage);
    const runs = await driver.start(flows, timeouts);
    everyRun.push(...runs);
    const complete = (): Promise<void> => driver.completeCustomers(runs);
    const finish = (): Promise<void> => driver.finishFlows(runs, FLOW_TIMEOUT_MS);
    switch (stage) {
      case 'awaiting_customer':
        return {
          stage,
          runs,
          transient: false,
          enter: async () => undefined,
          resume: async () => {
            await complete();
            await finish();
          },
        };
      case 'awaiting_ondato_review':
        return { stage, runs, transient: false, enter: complete, resume: finish };
      case 'manual_review':
        return { stage, runs, transient: false, enter: complete, resume: finish };
      case 'fetching_results':
        return {
          stage,
          runs,
          transient: true,
          enter: async () => {
            await stack.control.setFault({ route: 'getKyc', mode: 'latency', latencyMs: GET_KYC_LATENCY_MS });
            await complete();
          },
          resume: finish,
        };
      case 'storing_documents':
        return {
          stage,
          runs,
          transient: true,
          enter: async () => {
            await stack.control.setFault({
              route: 'downloadFile',
              mode: 'latency',
              latencyMs: DOWNLOAD_LATENCY_MS,
            });
            await complete();
          },
          resume: finish,
          inFlight: (view) => view.documents.length < 3,
        };
      case 'notifying':
        stack.callbacks.slowFor(
          runs.map((run) => run.customerId),
          CALLBACK_HOLD_MS,
        );
        return { stage, runs, transient: true, enter: complete, resume: finish };
    }
  };

  for (const [index, stages] of options.rounds.entries()) {
    const label = `round ${index + 1}/${options.rounds.length}`;
    const groups = await Promise.all(stages.map(group));
    const resting = groups.filter((candidate) => !candidate.transient);
    const transient = groups.filter((candidate) => candidate.transient);
    // Resting stages first (they stay), then the ones with work in flight, so the kill lands while it flies.
    for (const batch of [resting, transient]) {
      await Promise.all(
        batch.map(async (candidate) => {
          await candidate.enter();
          await driver.waitForStage(candidate.runs, [candidate.stage], STAGE_TIMEOUT_MS);
        }),
      );
    }
    // Where every run is right before the kill (one snapshot, then the kill at once).
    const snapshot = await Promise.all(
      groups.flatMap((candidate) =>
        candidate.runs.map(async (run) => ({ candidate, run, view: await stack.api.status(run.customerId) })),
      ),
    );
    const pid = await stack.killWorker();
    const killedAt = Date.now();
    for (const { candidate, run, view } of snapshot) {
      inStage.total += 1;
      const there = view.stage === candidate.stage && (candidate.inFlight?.(view) ?? true);
      if (there) inStage.passed += 1;
      else
        inStage.failures?.push(
          `${run.customerId}: ${view.stage} (${view.documents.length} documents) instead of ${candidate.stage}`,
        );
      run.notes.push(`worker killed in ${view.stage}`);
    }
    const worker = await stack.startWorker();
    say(
      `  ${label}: worker pid ${pid} SIGKILLed with ${snapshot.length} runs in ${stages.join(', ')}; new worker pid ${worker.pid} polling after ${((Date.now() - killedAt) / 1000).toFixed(1)} s`,
    );
    notes.push(`${label}: killed in ${stages.join(', ')} (${snapshot.length} runs)`);
    // The faults were there to hold the runs in place for the kill; the new worker gets a healthy Ondato.
    await stack.control.clearFaults();
    for (const candidate of groups) {
      moving.push(
        candidate.resume().catch((error: unknown) => {
          for (const run of candidate.runs) run.notes.push(`driving failed: ${String(error)}`);
        }),
      );
    }
    await delay(500);
  }

  const closed = await driver.awaitClosed(everyRun, options.deadlineMs);
  await Promise.race([Promise.all(moving), delay(1_000)]);
  const verdicts = await verifyRuns(stack, everyRun, closed);
  const answers = answersBetween(answersBefore, await readAnswerCounts(stack.api));
  return scenarioResult(
    'worker-kill',
    'worker SIGKILL in every stage with work in flight, then a new worker',
    verdicts,
    [inStage, no5xxButRetryLater(answers)],
    notes,
    Date.now() - began,
  );
}

/** The flows that reach (and pass through) the stage; every flow for runs killed while waiting for the customer. */
function flowsFor(stage: KillStage, count: number): Flow[] {
  switch (stage) {
    case 'awaiting_customer':
      return mix(Math.max(count, 1));
    case 'fetching_results':
    case 'storing_documents':
      return mix(count, ['approved', 'rejected']);
    case 'awaiting_ondato_review':
      return mix(count, ['awaiting_approved']);
    case 'notifying':
      return mix(count, ['approved', 'rejected', 'aborted', 'expired']);
    case 'manual_review':
      return mix(count, ['manual_approved', 'manual_rejected']);
  }
}
