/**
 * `npm run demo -- --customer c-42`: starts an onboarding through the running service's API, prints the
 * customer URL and where to watch the run. Options:
 *   --customer <id>      customer id (default: a random one). If that customer's onboarding already completed,
 *                        the demo says how it ended and starts a new one under a fresh id (`c-42-1a2b3c`).
 *   --outcome <how>      finish the verification in the simulator without a browser:
 *                        approved | rejected            Ondato decides at once
 *                        review                         Ondato approves but a check failed: our manual review
 *                        ondato-review                  Ondato leaves it Awaiting: Ondato's own review
 *                        aborted                        the customer gives up
 *   --complete <result>  the older spelling: approved | rejected | awaiting | aborted
 *   --wait               poll the API until the onboarding has a final outcome, then print it
 *   --wait-seconds <n>   how long --wait polls (default 60); then it prints the stage the run waits in and
 *                        what would move it
 * Exit codes: 0 done (with --wait: a final outcome), 1 an error, 2 --wait ran out while the run still waits.
 */
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { DEV_DEFAULTS, loadConfig } from '../config';
import { parseKeyEntry } from '../config/api-keys';
import type { CompleteRequest } from '../simulator/control-schemas';
import { SimulatorControl } from '../simulator/control-client';
import { SAMPLE_REGISTRATION } from '../simulator/sample-registration';

/** Exit code when `--wait` runs out before the run has a final outcome. */
const EXIT_STILL_WAITING = 2;
const DEFAULT_WAIT_SECONDS = 60;
const POLL_MS = 500;

const startResponseSchema = z.looseObject({
  workflowId: z.string(),
  customerUrl: z.string().nullish(),
  idvId: z.string().nullish(),
});
const errorSchema = z.looseObject({ error: z.looseObject({ code: z.string() }).optional() });
const stateSchema = z.looseObject({
  status: z.string().optional(),
  stage: z.string().optional(),
  outcome: z.string().nullish(),
  reasons: z.array(z.string()).optional(),
  idvId: z.string().optional(),
  kycId: z.string().optional(),
});
type RunState = z.infer<typeof stateSchema>;

const DEMO_OUTCOMES = ['approved', 'rejected', 'review', 'ondato-review', 'aborted'] as const;
type DemoOutcome = (typeof DEMO_OUTCOMES)[number];
const LEGACY_COMPLETE: Record<string, DemoOutcome> = {
  approved: 'approved',
  rejected: 'rejected',
  awaiting: 'ondato-review',
  aborted: 'aborted',
};

/** How the simulator finishes the customer flow for each demo outcome. */
const SIMULATOR_COMPLETION: Record<DemoOutcome, CompleteRequest> = {
  approved: { outcome: 'approved' },
  rejected: { outcome: 'rejected', statusReason: 'PoorPhotoQuality' },
  // Ondato approves, but one of its checks failed: our policy never approves that on its own.
  review: { outcome: 'approved', rules: [{ name: 'FaceMatch', status: 'Failed' }] },
  'ondato-review': { outcome: 'awaiting' },
  aborted: { outcome: 'aborted' },
};

interface Endpoints {
  apiUrl: string;
  simulatorUrl: string | undefined;
  uiUrl: (customerId: string) => string;
  /** The key shown in printed commands: a configured key is a secret, so only the development key is shown. */
  shownApiKey: string;
  /** The same for the ops key (review, resume). */
  shownOpsKey: string;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function parseOptions(): {
  customer?: string;
  outcome?: DemoOutcome;
  wait: boolean;
  waitSeconds: number;
} {
  const { values } = parseArgs({
    options: {
      customer: { type: 'string' },
      outcome: { type: 'string' },
      complete: { type: 'string' },
      wait: { type: 'boolean', default: false },
      'wait-seconds': { type: 'string' },
    },
  });
  const legacy =
    values.complete !== undefined && Object.hasOwn(LEGACY_COMPLETE, values.complete)
      ? LEGACY_COMPLETE[values.complete]
      : undefined;
  if (values.complete !== undefined && legacy === undefined)
    throw new Error(`--complete takes approved | rejected | awaiting | aborted, not ${values.complete}`);
  const chosen = z.enum(DEMO_OUTCOMES).safeParse(values.outcome);
  if (values.outcome !== undefined && !chosen.success)
    throw new Error(`--outcome takes ${DEMO_OUTCOMES.join(' | ')}, not ${values.outcome}`);
  const outcome = chosen.success ? chosen.data : legacy;
  const waitSeconds = z.coerce
    .number()
    .positive()
    .max(24 * 3600)
    .safeParse(values['wait-seconds'] ?? DEFAULT_WAIT_SECONDS);
  if (!waitSeconds.success)
    throw new Error(`--wait-seconds takes a number of seconds, not ${values['wait-seconds']}`);
  return { customer: values.customer, outcome, wait: values.wait, waitSeconds: waitSeconds.data };
}

/** What the run waits for in `stage`, and the command that would move it on. */
function nextStepHint(stage: string | undefined, customerId: string, state: RunState, at: Endpoints): string {
  const opsAuth = `-H 'authorization: Bearer ${at.shownOpsKey}'`;
  const json = `-H 'content-type: application/json'`;
  const sim = at.simulatorUrl ?? '<simulator URL>';
  switch (stage) {
    case 'awaiting_customer':
      return [
        'waiting for the customer to finish the verification: open the customer URL and choose, or finish it in the simulator:',
        `  curl -s -X POST ${sim}/_sim/identity-verifications/${state.idvId ?? '<idvId>'}/complete ${json} -d '{"outcome":"approved"}'`,
      ].join('\n');
    case 'awaiting_ondato_review':
      return [
        "waiting for Ondato's own review (the identification is Awaiting); in the simulator, decide it as Ondato:",
        `  curl -s -X POST ${sim}/_sim/identifications/${state.kycId ?? '<kycId>'}/decide ${json} -d '{"status":"Approved"}'`,
      ].join('\n');
    case 'manual_review':
      return [
        `waiting for manual review (ours; reasons: ${(state.reasons ?? []).join(', ') || 'none'}); decide it:`,
        `  curl -s -X POST ${at.apiUrl}/v1/onboardings/${customerId}/review ${opsAuth} ${json} -d '{"decision":"approved"}'`,
      ].join('\n');
    case 'needs_attention':
      return [
        'parked after a failed step (see lastError and attention in the status); when the cause is fixed, resume it:',
        `  curl -s -X POST ${at.apiUrl}/v1/onboardings/${customerId}/resume ${opsAuth} ${json} -d '{}'`,
      ].join('\n');
    default:
      return `working (stage ${stage ?? 'unknown'}): nobody needs to act; if it stays here, check that the worker runs and Ondato answers`;
  }
}

async function readState(
  at: Endpoints,
  headers: Record<string, string>,
  customerId: string,
): Promise<RunState> {
  const response = await fetch(`${at.apiUrl}/v1/onboardings/${encodeURIComponent(customerId)}`, { headers });
  return stateSchema.parse(await response.json());
}

/** Starts the onboarding; when the customer's onboarding already completed, explains it and starts a fresh one. */
async function start(
  at: Endpoints,
  headers: Record<string, string>,
  customerId: string,
): Promise<{ customerId: string; status: number; started: z.infer<typeof startResponseSchema> }> {
  const response = await fetch(`${at.apiUrl}/v1/onboardings`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ customerId, registration: SAMPLE_REGISTRATION }),
  });
  const body: unknown = await response.json();
  if (response.status === 409 && errorSchema.parse(body).error?.code === 'onboarding_completed') {
    const earlier = await readState(at, headers, customerId);
    const freshId = `${customerId}-${randomUUID().slice(0, 6)}`;
    process.stdout.write(
      [
        `customer ${customerId} already has a completed onboarding: outcome ${earlier.outcome ?? earlier.status ?? 'unknown'} (${(earlier.reasons ?? []).join(', ')})`,
        `  see it:        curl -s -H 'authorization: Bearer ${at.shownApiKey}' ${at.apiUrl}/v1/onboardings/${customerId}`,
        `  Temporal UI:   ${at.uiUrl(customerId)}`,
        `  run it again:  POST ${at.apiUrl}/v1/onboardings/${customerId}/retry (after a run that was not approved)`,
        `starting a new onboarding under a fresh customer id instead: ${freshId}`,
        '',
      ].join('\n'),
    );
    return start(at, headers, freshId);
  }
  if (!response.ok) throw new Error(`the API answered ${response.status}: ${JSON.stringify(body)}`);
  return { customerId, status: response.status, started: startResponseSchema.parse(body) };
}

async function main(): Promise<number> {
  const options = parseOptions();
  const config = loadConfig();
  // Entries may name their identity (`identity:key`): the bearer token is the key alone.
  const apiKey = parseKeyEntry(config.api.keys[0]).key;
  const opsKey = parseKeyEntry(config.api.opsKeys[0]).key;
  const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
  const at: Endpoints = {
    apiUrl: config.api.publicUrl,
    simulatorUrl: config.ondato.usesSimulator
      ? (config.simulator.publicUrl ?? `http://${config.simulator.host}:${config.simulator.port}`)
      : undefined,
    uiUrl: (customerId) =>
      `http://127.0.0.1:${config.temporal.devServer.uiPort}/namespaces/${config.temporal.namespace}/workflows?query=${encodeURIComponent(`CustomerId="${customerId}"`)}`,
    shownApiKey: apiKey === DEV_DEFAULTS.apiKey ? DEV_DEFAULTS.apiKey : '<API key>',
    shownOpsKey: opsKey === DEV_DEFAULTS.opsKey ? DEV_DEFAULTS.opsKey : '<ops key>',
  };

  const { customerId, status, started } = await start(
    at,
    headers,
    options.customer ?? `demo-${randomUUID().slice(0, 8)}`,
  );
  process.stdout.write(
    [
      `onboarding ${started.workflowId} (HTTP ${status})`,
      `  customer URL:  ${started.customerUrl ?? '(not issued yet)'}`,
      `  status:        curl -s -H 'authorization: Bearer ${at.shownApiKey}' ${at.apiUrl}/v1/onboardings/${customerId}`,
      `  Temporal UI:   ${at.uiUrl(customerId)}`,
      '',
    ].join('\n'),
  );

  if (options.outcome) {
    if (at.simulatorUrl === undefined)
      throw new Error('--outcome drives the simulator; real Ondato needs a real customer');
    if (!started.idvId)
      throw new Error('the run has no verification of its own to finish (it took over an earlier one)');
    await new SimulatorControl(at.simulatorUrl).complete(
      started.idvId,
      SIMULATOR_COMPLETION[options.outcome],
    );
    process.stdout.write(`the customer finished the verification in the simulator: ${options.outcome}\n`);
  }

  if (!options.wait) return 0;
  const deadline = Date.now() + options.waitSeconds * 1000;
  let hinted: string | undefined;
  for (;;) {
    const state = await readState(at, headers, customerId);
    const final = state.status !== 'RUNNING' || (state.outcome && state.outcome !== 'manual_review');
    if (final) {
      process.stdout.write(
        `outcome: ${state.outcome ?? state.status} (${(state.reasons ?? []).join(', ')})\n`,
      );
      return 0;
    }
    // A run waiting for a person will not move by itself: say so at once, not only when the wait runs out.
    const waitsForPerson = ['manual_review', 'awaiting_ondato_review', 'needs_attention'].includes(
      state.stage ?? '',
    );
    if (waitsForPerson && hinted !== state.stage) {
      hinted = state.stage;
      process.stdout.write(
        `stage ${state.stage}: ${nextStepHint(state.stage, customerId, state, at)}\n(the demo waits until ${new Date(deadline).toISOString()})\n`,
      );
    }
    if (Date.now() >= deadline) {
      process.stdout.write(
        `still waiting after ${options.waitSeconds} s in stage ${state.stage ?? 'unknown'}: ${nextStepHint(state.stage, customerId, state, at)}\n`,
      );
      return EXIT_STILL_WAITING;
    }
    await sleep(POLL_MS);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`[demo] ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
