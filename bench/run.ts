/**
 * `npm run bench [-- options]`: runs the benchmark scenarios one after the other, each on its own fresh stack,
 * prints their tables as it goes, and writes every figure (with its same-run baseline and the ratio) to
 * bench/results/<timestamp>.json. Everything it starts is stopped at the end, on errors and on Ctrl-C.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { floorBundle, serviceBundle } from './infra/bundles';
import { reapOrphanedDevServers } from './infra/dev-server';
import { installHarnessRuntime } from './infra/harness-process';
import type { RunContext } from './infra/run-context';
import { closeAllScopes, wasInterrupted, withScope } from './infra/teardown';
import { parseOptions, USAGE, type BenchOptions, type ScenarioName } from './options';
import type { ScenarioResult } from './report/figures';
import { resultsAsMarkdown } from './report/markdown';
import { say } from './report/progress';
import { writeResults } from './report/results-file';
import { figuresTable } from './report/table';
import { SCENARIO_RUNNERS } from './scenarios';

const RESULTS_DIR = path.join(__dirname, 'results');
/** Scenarios that run the onboarding worker, and those that compare with the floor workflow. */
const NEEDS_SERVICE_BUNDLE: ScenarioName[] = ['e2e', 'webhooks', 'start', 'waiting'];
const NEEDS_FLOOR_BUNDLE: ScenarioName[] = ['e2e', 'start', 'waiting'];

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (options === 'help') {
    say(USAGE);
    return 0;
  }
  if ('markdownOf' in options) {
    say(resultsAsMarkdown(options.markdownOf));
    return 0;
  }
  // The benchmark handles signals itself, so it can stop what it started in order.
  installHarnessRuntime();
  const reaped = reapOrphanedDevServers();
  if (reaped > 0) say(`[bench] stopped ${reaped} dev server(s) left behind by a killed run`);

  const startedAt = new Date();
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const outFile = options.out ?? path.join(RESULTS_DIR, `${stamp}.json`);
  // Service logs go beside the results file (for the quick test: its temporary directory).
  const logDir = path.join(path.dirname(outFile), `logs-${stamp}`);
  mkdirSync(logDir, { recursive: true });

  return withScope('run', async (scope) => {
    const workDir = mkdtempSync(path.join(tmpdir(), 'ondato-bench-'));
    scope.defer('scratch files', () => rmSync(workDir, { recursive: true, force: true }));
    const context: RunContext = {
      workDir,
      logDir,
      logLevel: options.logLevel,
      workerNodeOptions: options.workerNodeOptions,
    };
    say(
      `Benchmark ${options.quick ? '(quick) ' : ''}: ${options.only.join(', ')}; service logs in ${path.relative(process.cwd(), logDir)}`,
    );
    await buildBundles(context, options);

    const results: ScenarioResult[] = [];
    for (const name of options.only) {
      if (wasInterrupted()) break;
      say(`\n=== ${name} ===`);
      const result = await runScenario(name, context, options, results);
      results.push(result);
      say(result.error ? `  FAILED: ${result.error}` : figuresTable(result.figures));
      writeResults(outFile, { startedAt, options, results });
    }

    say('\n=== summary ===');
    say(
      figuresTable(
        results.flatMap((result) =>
          result.figures.map((item) => ({ ...item, name: `${result.name}: ${item.name}` })),
        ),
      ),
    );
    say(
      `\nresults: ${path.relative(process.cwd(), outFile)} (${((Date.now() - startedAt.getTime()) / 1000).toFixed(1)} s in all)`,
    );
    return results.some((result) => result.error) ? 1 : 0;
  });
}

async function buildBundles(context: RunContext, options: BenchOptions): Promise<void> {
  const began = Date.now();
  if (options.only.some((name) => NEEDS_SERVICE_BUNDLE.includes(name))) {
    context.serviceBundlePath = await serviceBundle(context.workDir);
  }
  if (options.only.some((name) => NEEDS_FLOOR_BUNDLE.includes(name))) {
    context.floorBundlePath = await floorBundle(context.workDir);
  }
  say(`  workflow bundles built in ${((Date.now() - began) / 1000).toFixed(1)} s`);
}

async function runScenario(
  name: ScenarioName,
  context: RunContext,
  options: BenchOptions,
  earlier: readonly ScenarioResult[],
): Promise<ScenarioResult> {
  const began = Date.now();
  try {
    return await SCENARIO_RUNNERS[name](context, options, earlier);
  } catch (error) {
    return {
      name,
      title: name,
      params: {},
      figures: [],
      checks: {},
      resources: {},
      details: {},
      durationMs: Date.now() - began,
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    };
  }
}

main()
  .then(async (code) => {
    await closeAllScopes();
    process.exit(code);
  })
  .catch(async (error: unknown) => {
    process.stderr.write(
      `[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    await closeAllScopes();
    process.exit(1);
  });
