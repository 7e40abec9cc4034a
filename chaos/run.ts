/**
 * `npm run chaos [-- options]`: the failure policy proved end to end. One stack of real processes (Temporal on a
 * SQLite file, the Ondato simulator, the worker, the API) and, one after the other, the scenarios that break
 * parts of it: the worker killed in every stage, Temporal restarted, hostile webhooks, Ondato faults. Each
 * prints a table row (runs, right outcome, one completion callback, documents intact, none stuck, none FAILED,
 * its own checks, wall time); the process exits 1 when any row is below 100 %.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serviceBundle } from '../bench/infra/bundles';
import { installHarnessRuntime } from '../bench/infra/harness-process';
import type { RunContext } from '../bench/infra/run-context';
import { closeAllScopes, wasInterrupted, withScope } from '../bench/infra/teardown';
import { parseOptions, USAGE, type ChaosOptions, type ScenarioName } from './options';
import {
  addCheck,
  failedScenario,
  passed,
  resultsTable,
  say,
  scenarioDetails,
  writeResults,
  type Check,
  type ScenarioResult,
} from './report';
import { hostileWebhooksScenario } from './scenarios/hostile-webhooks';
import { ondatoFaultsScenario } from './scenarios/ondato-faults';
import { temporalRestartScenario } from './scenarios/temporal-restart';
import { workerKillScenario } from './scenarios/worker-kill';
import { startChaosStack, type ChaosStack, type WorkerCrash } from './stack';
import { reapOrphanedChaosServers } from './temporal-server';

/** Beside the benchmark's results: git, ESLint and Prettier ignore that folder. */
const RESULTS_DIR = path.join(__dirname, '..', 'bench', 'results');

const TITLES: Record<ScenarioName, string> = {
  'worker-kill': 'worker SIGKILL in every stage',
  'temporal-restart': 'Temporal restart on its SQLite file',
  'hostile-webhooks': 'hostile webhooks',
  'ondato-faults': 'Ondato faults at ~20 %',
};

function runScenario(name: ScenarioName, stack: ChaosStack, options: ChaosOptions): Promise<ScenarioResult> {
  switch (name) {
    case 'worker-kill':
      return workerKillScenario(stack, options.workerKill);
    case 'temporal-restart':
      return temporalRestartScenario(stack, options.temporalRestart);
    case 'hostile-webhooks':
      return hostileWebhooksScenario(stack, options.hostileWebhooks);
    case 'ondato-faults':
      return ondatoFaultsScenario(stack, options.ondatoFaults);
  }
}

/** A worker that dies by itself (not by the suite's SIGKILL) is a failure, however well the runs recover. */
function crashCheck(crashes: WorkerCrash[]): Check {
  return {
    name: 'worker never died on its own',
    passed: crashes.length === 0 ? 1 : 0,
    total: 1,
    failures: crashes.map(
      (crash) =>
        `pid ${crash.pid} exited with code ${crash.exitCode} at ${new Date(crash.at).toISOString()}; its log ends:\n${crash.logTail
          .split('\n')
          .map((line) => `        ${line.slice(0, 300)}`)
          .join('\n')}`,
    ),
  };
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (options === 'help') {
    say(USAGE);
    return 0;
  }
  // The suite handles signals itself, so it stops what it started, in order.
  installHarnessRuntime();
  const reaped = reapOrphanedChaosServers();
  if (reaped > 0) say(`[chaos] stopped ${reaped} dev server(s) left behind by a killed run`);

  const startedAt = new Date();
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const outFile = options.out ?? path.join(RESULTS_DIR, `chaos-${stamp}.json`);
  const logDir = path.join(path.dirname(outFile), `chaos-logs-${stamp}`);
  mkdirSync(logDir, { recursive: true });

  return withScope('chaos', async (scope) => {
    const workDir = mkdtempSync(path.join(tmpdir(), 'ondato-chaos-'));
    scope.defer('scratch files', () => rmSync(workDir, { recursive: true, force: true }));
    say(
      `Chaos suite${options.quick ? ' (quick)' : ''}: ${options.only.join(', ')}; service logs in ${path.relative(process.cwd(), logDir)}`,
    );
    const bundleStarted = Date.now();
    const context: RunContext = {
      workDir,
      logDir,
      logLevel: options.logLevel,
      serviceBundlePath: await serviceBundle(workDir),
    };
    say(`  workflow bundle built in ${((Date.now() - bundleStarted) / 1000).toFixed(1)} s`);
    const stack = await startChaosStack(scope, context);

    const results: ScenarioResult[] = [];
    for (const name of options.only) {
      if (wasInterrupted()) break;
      say(`\n=== ${name}: ${TITLES[name]} ===`);
      const began = Date.now();
      let result: ScenarioResult;
      try {
        result = await runScenario(name, stack, options);
      } catch (error) {
        result = failedScenario(name, TITLES[name], error, Date.now() - began);
      }
      addCheck(result, crashCheck(stack.workerCrashes(began)));
      // Whatever a scenario left behind must not leak into the next one.
      await stack.control.clearFaults().catch(() => undefined);
      results.push(result);
      say(resultsTable([result]));
      say(scenarioDetails(result));
      writeResults(outFile, { startedAt, quick: options.quick, results });
    }

    const totalMs = Date.now() - startedAt.getTime();
    say('\n=== summary ===');
    say(resultsTable(results));
    say(`\ntotal ${(totalMs / 1000).toFixed(1)} s; results: ${path.relative(process.cwd(), outFile)}`);
    writeResults(outFile, { startedAt, quick: options.quick, totalMs, results });
    const ok = results.length === options.only.length && results.every(passed);
    say(ok ? 'every row at 100 %' : 'FAILED: a row is below 100 % (see above)');
    return ok ? 0 : 1;
  });
}

main()
  .then(async (code) => {
    await closeAllScopes();
    process.exit(code);
  })
  .catch(async (error: unknown) => {
    process.stderr.write(
      `[chaos] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    await closeAllScopes();
    process.exit(1);
  });
