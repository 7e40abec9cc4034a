/**
 * Keeps the benchmark from rotting: `npm run bench -- --quick` runs every scenario small, in its own process
 * (it starts its own dev servers and service processes), and must produce sane figures: every scenario
 * present, every onboarding completed, no webhook lost. Timing goals are not asserted here.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const SCENARIOS = ['e2e', 'webhooks', 'start', 'streaming', 'waiting'];
const RUN_TIMEOUT_MS = 240_000;

interface Figure {
  name: string;
  service: number | null;
  baseline: number | null;
}
interface Scenario {
  figures: Figure[];
  checks: Record<string, number | boolean>;
  error?: string;
}
interface Results {
  machine: { cores: number };
  scenarios: Record<string, Scenario>;
}

/** Runs the benchmark in its own process group, so a timeout can stop it and everything it started. */
function runBench(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '-s', 'bench', '--', ...args], {
      cwd: REPO_ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const timer = setTimeout(() => {
      output += `\n[test] the benchmark took longer than ${RUN_TIMEOUT_MS} ms; stopping it`;
      if (child.pid) process.kill(-child.pid, 'SIGTERM');
      setTimeout(() => child.pid && process.kill(-child.pid, 'SIGKILL'), 20_000).unref();
    }, RUN_TIMEOUT_MS);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('benchmark, quick run', () => {
  let dir: string;
  let results: Results;
  let output: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'bench-quick-'));
    const file = path.join(dir, 'results.json');
    const run = await runBench(['--quick', '--out', file]);
    output = run.output;
    if (run.code !== 0)
      throw new Error(`npm run bench -- --quick exited with ${run.code}:\n${output.slice(-4000)}`);
    results = JSON.parse(readFileSync(file, 'utf8')) as Results;
  }, RUN_TIMEOUT_MS + 30_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs every scenario, each with figures and baselines from the same run', () => {
    expect(Object.keys(results.scenarios).sort()).toEqual([...SCENARIOS].sort());
    for (const name of SCENARIOS) {
      const scenario = results.scenarios[name];
      expect({ name, error: scenario.error }).toEqual({ name, error: undefined });
      expect(scenario.figures.length).toBeGreaterThan(0);
      for (const figure of scenario.figures) {
        expect({ name, figure: figure.name, service: Number.isFinite(figure.service) }).toEqual({
          name,
          figure: figure.name,
          service: true,
        });
        expect({ name, figure: figure.name, baseline: Number.isFinite(figure.baseline) }).toEqual({
          name,
          figure: figure.name,
          baseline: true,
        });
      }
    }
  });

  it('completes every onboarding end to end, approved, with valid callbacks', () => {
    const { checks } = results.scenarios.e2e;
    expect(checks.completed).toBe(checks.onboardings);
    expect(checks.approved).toBe(checks.onboardings);
    expect(checks.failed).toBe(0);
    expect(checks.badCallbackSignatures).toBe(0);
    expect(checks.floorCompleted).toBe(checks.onboardings);
  });

  it('loses no webhook: every delivery the API acknowledged is a signal in history', () => {
    const { checks } = results.scenarios.webhooks;
    expect(checks.sent).toBeGreaterThan(0);
    expect(checks.errors).toBe(0);
    expect(checks.acknowledged).toBe(checks.sent);
    expect(checks.lost).toBe(0);
    expect(checks.baselineLost).toBe(0);
  });

  it('starts every onboarding it was asked to', () => {
    const { checks } = results.scenarios.start;
    expect(checks.sent).toBeGreaterThan(0);
    expect(checks.started).toBe(checks.sent);
    expect(checks.errors).toBe(0);
  });

  it('stores the whole streamed document', () => {
    const { checks } = results.scenarios.streaming;
    expect(checks.allBytesStored).toBe(true);
    expect(checks.curlGotAllBytes).toBe(true);
  });

  it('finishes every waiting onboarding, none stuck', () => {
    const { checks } = results.scenarios.waiting;
    expect(checks.started).toBe(checks.onboardings);
    // RSS is read with every run open (visibility's count at the end of the hold), not extrapolated.
    expect(checks.runningWhileHeld).toBe(checks.onboardings);
    expect(checks.floorRunningWhileHeld).toBe(checks.onboardings);
    expect(checks.finished).toBe(checks.onboardings);
    expect(checks.callbacks).toBe(checks.onboardings);
    expect(checks.stillRunning).toBe(0);
    expect(checks.floorStillRunning).toBe(0);
  });
});
