/**
 * The chaos suite, small: `npm run chaos -- --quick` in its own process (it starts its own Temporal dev server on a
 * SQLite file, the simulator, the worker and the API from their entry points, and kills and restarts them), with
 * every scenario once: the worker SIGKILLed with runs in the stages whose work recovers in seconds, Temporal
 * restarted, hostile webhooks, Ondato faults at ~20 % with a long 401 burst that parks runs. Every row must be at
 * 100 %: right outcome, one completion callback, documents intact, none stuck, none FAILED, the scenario's checks.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const SCENARIOS = ['worker-kill', 'temporal-restart', 'hostile-webhooks', 'ondato-faults'];
/** About a minute and a half when all is well; a scenario that waits out its deadlines takes a few more. */
const RUN_TIMEOUT_MS = 420_000;

interface Check {
  name: string;
  passed: number;
  total: number;
}
interface ScenarioResult {
  name: string;
  runs: number;
  rightOutcome: number;
  oneCompletedCallback: number;
  documentsIntact: number;
  noneStuck: number;
  noneFailed: number;
  checks: Check[];
  failures: string[];
  error?: string;
}
interface Results {
  quick: boolean;
  results: ScenarioResult[];
}

/** Runs the suite in its own process group, so a timeout stops it and everything it started. */
function runChaos(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '-s', 'chaos', '--', ...args], {
      cwd: REPO_ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const timer = setTimeout(() => {
      output += `\n[test] the chaos suite took longer than ${RUN_TIMEOUT_MS} ms; stopping it`;
      if (child.pid) process.kill(-child.pid, 'SIGTERM');
      setTimeout(() => child.pid && process.kill(-child.pid, 'SIGKILL'), 20_000).unref();
    }, RUN_TIMEOUT_MS);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('chaos suite, quick run', () => {
  let dir: string;
  let results: Results;
  let output: string;
  let code: number | null;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'chaos-quick-'));
    const file = path.join(dir, 'results.json');
    ({ code, output } = await runChaos(['--quick', '--out', file]));
    try {
      results = JSON.parse(readFileSync(file, 'utf8')) as Results;
    } catch {
      throw new Error(`npm run chaos -- --quick wrote no results (exit ${code}):\n${output.slice(-6000)}`);
    }
  }, RUN_TIMEOUT_MS + 30_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs every scenario', () => {
    expect(results.quick).toBe(true);
    expect(results.results.map((result) => result.name)).toEqual(SCENARIOS);
  });

  it.each(SCENARIOS)('%s: every run right, once, intact, closed, not failed; every check passed', (name) => {
    const result = results.results.find((candidate) => candidate.name === name) as ScenarioResult;
    const row = {
      error: result.error,
      rightOutcome: result.rightOutcome,
      oneCompletedCallback: result.oneCompletedCallback,
      documentsIntact: result.documentsIntact,
      noneStuck: result.noneStuck,
      noneFailed: result.noneFailed,
      checks: result.checks.map((check) => `${check.name}: ${check.passed}/${check.total}`),
      failures: result.failures.map((failure) => failure.slice(0, 1500)),
    };
    expect(result.runs).toBeGreaterThan(0);
    expect(row).toEqual({
      error: undefined,
      rightOutcome: result.runs,
      oneCompletedCallback: result.runs,
      documentsIntact: result.runs,
      noneStuck: result.runs,
      noneFailed: result.runs,
      checks: result.checks.map((check) => `${check.name}: ${check.total}/${check.total}`),
      failures: [],
    });
  });

  it('exits 0 exactly when every row is at 100 %', () => {
    expect({ code, tail: code === 0 ? '' : output.slice(-3000) }).toEqual({ code: 0, tail: '' });
  });
});
