/**
 * `npm run replay`: the deploy gate. Replays the histories of live runs (default: every open run on the
 * configured task queue plus those closed in the last 7 days) against the workflow code about to be deployed,
 * through the configured Temporal connection and payload codec. Exit 0: every run replayed; 1: some run did
 * not (each named, with the first diverging event); 2: the gate could not run.
 *
 *   --query <visibility query>  replay these runs instead (e.g. "WorkflowId = 'onboarding-c-42'")
 *   --days <n>                  the closed-run window of the default query (default 7)
 *   --bundle <file>             a pre-built bundle (`npm run build`: dist/workflow-bundle.js) instead of
 *                               bundling workflows/ from the working tree
 *   --skip-pinned               leave out runs pinned to a build (Worker Versioning: they never meet new code)
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { bundleWorkflowCode, type WorkflowBundleOption } from '@temporalio/worker';
import { z } from 'zod';
import { connectTemporalClient } from '../composition/client';
import { createDataConverter } from '../codec/data-converter';
import { loadConfig } from '../config';
import { createLogger } from '../observability/logger';
import { installRuntimeLogging } from '../observability/runtime-logger';
import { defaultReplayQuery, runReplayGate, withoutPinnedRuns, type ReplayFailure } from './replay-gate';

const EXIT_FAILURES = 1;
const EXIT_CANNOT_RUN = 2;
const PROGRESS_EVERY_MS = 2_000;

const say = (line: string): void => {
  process.stdout.write(`[replay] ${line}\n`);
};

const argsSchema = z.object({
  query: z.string().min(1).optional(),
  days: z.coerce.number().positive().default(7),
  bundle: z.string().min(1).optional(),
  'skip-pinned': z.boolean().default(false),
});

async function workflowCode(
  bundleFile: string | undefined,
): Promise<{ bundle: WorkflowBundleOption; from: string }> {
  if (bundleFile) {
    const codePath = path.resolve(bundleFile);
    if (!existsSync(codePath)) throw new Error(`--bundle ${bundleFile}: no such file`);
    return { bundle: { codePath }, from: codePath };
  }
  const started = Date.now();
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    logger: { info() {}, warn() {}, error: console.error, debug() {}, trace() {}, log() {} },
  });
  return {
    bundle: { code },
    from: `workflows/ in the working tree (bundled in ${((Date.now() - started) / 1000).toFixed(1)} s)`,
  };
}

/** The core's own sentence (`[TMPRL1100] Nondeterminism error: ...`) rather than the SDK's wrapping of it. */
function coreMessage(message: string): string {
  return /\[TMPRL\d+\][^"]*/.exec(message)?.[0] ?? message.split('\n')[0];
}

function describeFailure(failure: ReplayFailure): string {
  const event = failure.divergingEvent
    ? `first diverging event ${failure.divergingEvent.eventId}${failure.divergingEvent.eventType ? ` (${failure.divergingEvent.eventType})` : ''}`
    : 'diverging event not named by the SDK';
  return [
    `FAILED ${failure.workflowType} workflowId=${failure.workflowId} runId=${failure.runId}`,
    `         ${failure.kind}: ${event}`,
    `         ${coreMessage(failure.message)}`,
  ].join('\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      query: { type: 'string' },
      days: { type: 'string' },
      bundle: { type: 'string' },
      'skip-pinned': { type: 'boolean' },
    },
  });
  const args = argsSchema.parse(values);
  // A local .env is optional, as for `npm start`; variables already set win over it.
  if (existsSync('.env')) process.loadEnvFile('.env');
  const config = loadConfig();
  // The replay worker's own logs (each nondeterminism is also logged by the SDK) stay out of the report.
  installRuntimeLogging(createLogger({ level: 'fatal', service: 'replay' }), {
    coreLevel: 'ERROR',
    forwardCoreLogs: false,
  });

  const selected = args.query ?? defaultReplayQuery(config.temporal.taskQueue, args.days);
  const query = args['skip-pinned'] ? withoutPinnedRuns(selected) : selected;
  const code = await workflowCode(args.bundle);
  say(`Temporal ${config.temporal.address}, namespace ${config.temporal.namespace}`);
  say(`query: ${query}`);
  say(`workflow code: ${code.from}`);

  const temporal = await connectTemporalClient(config);
  try {
    let lastProgressAt = Date.now();
    const report = await runReplayGate({
      client: temporal.client,
      query,
      workflowBundle: code.bundle,
      dataConverter: createDataConverter(config),
      onProgress: ({ replayed, failure }) => {
        if (failure) say(describeFailure(failure));
        if (Date.now() - lastProgressAt >= PROGRESS_EVERY_MS) {
          lastProgressAt = Date.now();
          say(`${replayed} replayed so far...`);
        }
      },
    });
    say('summary:');
    for (const [type, counts] of Object.entries(report.byWorkflowType).sort()) {
      say(`  ${type}: ${counts.replayed} replayed, ${counts.failed} failed`);
    }
    say(
      `  total: ${report.replayed} replayed, ${report.failures.length} failed in ${(report.elapsedMs / 1000).toFixed(1)} s`,
    );
    if (report.replayed === 0) say('no run matched the query: nothing to check');
    if (report.failures.length > 0) {
      say('GATE FAILED: the code above cannot continue these runs; guard the change with patched() (README)');
      return EXIT_FAILURES;
    }
    say('gate passed');
    return 0;
  } finally {
    await temporal.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `[replay] could not run: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(EXIT_CANNOT_RUN);
  },
);
