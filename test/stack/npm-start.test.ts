/**
 * The README's "run" path, as a new user takes it: `npm start`, wait for the banner, `npm run demo` to run one
 * onboarding to its outcome over HTTP, Ctrl-C-like SIGTERM, nothing left running; a second start still knows
 * the earlier run (the dev server's SQLite file persists).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isAlive } from '../../scripts/dev-server-registry';
import { SimulatorControl } from '../../simulator/control-client';
import { waitFor } from '../helpers/wait-for';

jest.setTimeout(180_000);

const ROOT = path.resolve(__dirname, '..', '..');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

interface StartedStack {
  child: ChildProcess;
  output: () => string;
  readyMs: number;
  devServerPid: number;
}

/** Runs one command line the demo printed, as a newcomer would paste it into a shell. */
function runPrinted(output: string, marker: string): Promise<{ code: number | null; output: string }> {
  const line = output.split('\n').find((candidate) => candidate.includes(marker));
  if (!line) throw new Error(`the demo printed no command with ${marker}:\n${output}`);
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', line.trim()], { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.on('exit', (code) => resolve({ code, output: text }));
  });
}

function run(command: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('npm', command, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

async function startStack(env: NodeJS.ProcessEnv, dbFile: string): Promise<StartedStack> {
  const started = Date.now();
  // Its own process group, like a terminal's foreground job: the signal goes to npm and everything under it.
  const child = spawn('npm', ['start'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (output.includes('Ondato onboarding is running')) {
        clearInterval(timer);
        resolve();
      } else if (child.exitCode !== null) {
        clearInterval(timer);
        reject(new Error(`npm start exited with ${child.exitCode}:\n${output}`));
      }
    }, 50);
  });
  const devServerPid = Number(readFileSync(`${dbFile}.pid`, 'utf8'));
  return { child, output: () => output, readyMs: Date.now() - started, devServerPid };
}

async function stopStack(stack: StartedStack): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => stack.child.once('exit', (code) => resolve(code)));
  process.kill(-(stack.child.pid as number), 'SIGTERM');
  return exited;
}

describe('npm start', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'onboarding-stack-'));
  const dbFile = path.join(dataDir, 'temporal.sqlite');
  let stack: StartedStack | undefined;
  let env: NodeJS.ProcessEnv;
  let ports: number[];

  beforeAll(async () => {
    const [api, simulator, temporal, ui] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    ports = [api, simulator, temporal, ui];
    env = {
      ...process.env,
      API_PORT: String(api),
      SIMULATOR_PORT: String(simulator),
      TEMPORAL_ADDRESS: `127.0.0.1:${temporal}`,
      TEMPORAL_UI_PORT: String(ui),
      TEMPORAL_DB_FILE: dbFile,
      DOCUMENT_DIR: path.join(dataDir, 'documents'),
      SIMULATOR_STATE_FILE: path.join(dataDir, 'simulator.json'),
      // info, as a newcomer runs it: the test checks what the terminal shows (and what it no longer shows).
      LOG_LEVEL: 'info',
      // Keys that name their identity, as a deployment configures them: the demo's commands still work.
      API_KEYS: 'backend-demo:dev-api-key',
      API_OPS_KEYS: 'ops-demo:dev-ops-key',
    };
  });

  afterAll(async () => {
    if (stack && stack.child.exitCode === null) await stopStack(stack);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs an onboarding, stops cleanly on SIGTERM, and remembers the run on the next start', async () => {
    stack = await startStack(env, dbFile);
    process.stdout.write(`npm start → ready in ${stack.readyMs} ms\n`);
    expect(stack.output()).toContain(`http://127.0.0.1:${ports[3]}`); // the banner names the Temporal UI
    expect(stack.output()).toContain('/_sim, see docs/simulator.md'); // and where the simulator's controls are

    const demo = await run(
      ['run', 'demo', '--', '--customer', 'c-stack-1', '--complete', 'approved', '--wait'],
      env,
    );
    expect(demo.output).toContain('customer URL:  http://127.0.0.1:');
    expect(demo.output).toContain('outcome: approved');
    expect(demo.code).toBe(0);

    // The README's demo command again: the customer's onboarding completed, so the demo says how it ended and
    // starts a new one under a fresh id instead of failing with the API's 409.
    const again = await run(['run', 'demo', '--', '--customer', 'c-stack-1'], env);
    expect(again.output).toContain('customer c-stack-1 already has a completed onboarding: outcome approved');
    expect(again.output).toMatch(
      /starting a new onboarding under a fresh customer id instead: c-stack-1-\w{6}/,
    );
    expect(again.output).toMatch(/onboarding onboarding-c-stack-1-\w{6} \(HTTP 201\)/);
    expect(again.code).toBe(0);

    // The UI's codec calls stay out of the terminal at info; ordinary requests still show.
    const decoded = await fetch(`http://127.0.0.1:${ports[0]}/codec/decode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'codec-call-1' },
      body: JSON.stringify({ payloads: [] }),
    });
    expect(decoded.status).toBe(200);
    await fetch(`http://127.0.0.1:${ports[0]}/v1/onboardings/c-stack-1`, {
      headers: { authorization: 'Bearer dev-api-key', 'x-request-id': 'read-after-codec-1' },
    });
    // One process logs in order: once the later request's line is out, the codec call's would be too.
    await waitFor(async () => (stack?.output().includes('read-after-codec-1') ? true : undefined));
    expect(stack.output()).not.toContain('codec-call-1');
    // Quiet in the log, still counted.
    const metrics = await (await fetch(`http://127.0.0.1:${ports[0]}/metrics`)).text();
    expect(metrics).toMatch(/onboarding_api_http_requests_total\{[^}]*route="\/codec\/decode"[^}]*\} [1-9]/);

    // A run in our manual review: --wait gives up after its deadline, names the stage and the command that
    // decides it; that command, pasted into a shell, finishes the run.
    const review = await run(
      [
        'run',
        'demo',
        '--',
        '--customer',
        'c-stack-3',
        '--outcome',
        'review',
        '--wait',
        '--wait-seconds',
        '4',
      ],
      env,
    );
    expect(review.output).toContain(
      'still waiting after 4 s in stage manual_review: waiting for manual review',
    );
    expect(review.code).toBe(2);
    const decision = await runPrinted(review.output, '/v1/onboardings/c-stack-3/review');
    expect(decision.output).toContain('"outcome":"approved"');
    expect(decision.output).toContain('"reviewerId":"ops-demo"'); // the ops key's identity decided

    const misspelt = await run(['run', 'demo', '--', '--outcome', 'manual'], env);
    expect(misspelt.output).toContain(
      '--outcome takes approved | rejected | review | ondato-review | aborted',
    );
    expect(misspelt.code).toBe(1);

    // A run in Ondato's own review: the same, with the simulator's control API as Ondato's reviewer.
    const ondato = await run(
      [
        'run',
        'demo',
        '--',
        '--customer',
        'c-stack-4',
        '--outcome',
        'ondato-review',
        '--wait',
        '--wait-seconds',
        '4',
      ],
      env,
    );
    expect(ondato.output).toContain("in stage awaiting_ondato_review: waiting for Ondato's own review");
    expect(ondato.code).toBe(2);
    expect((await runPrinted(ondato.output, '/_sim/identifications/')).code).toBe(0);
    const ondatoDecided = await waitFor(async () => {
      const response = await fetch(`http://127.0.0.1:${ports[0]}/v1/onboardings/c-stack-4`, {
        headers: { authorization: 'Bearer dev-api-key' },
      });
      const body = (await response.json()) as { outcome?: string };
      return body.outcome === 'approved' ? body : undefined;
    });
    expect(ondatoDecided).toMatchObject({ outcome: 'approved' });
    // A second run stays open across the restart: the customer has the link but has not finished yet.
    const open = await run(['run', 'demo', '--', '--customer', 'c-stack-2'], env);
    expect(open.code).toBe(0);
    const openIdvId = /\?id=([0-9a-f-]+)/.exec(open.output)?.[1];
    expect(openIdvId).toBeDefined();

    const first = stack;
    expect(await stopStack(first)).toBe(0);
    expect(first.output()).toContain('[start] stopped');
    expect(isAlive(first.devServerPid)).toBe(false);
    expect(existsSync(`${dbFile}.pid`)).toBe(false);
    for (const port of ports) expect(await portIsFree(port)).toBe(true);

    stack = await startStack(env, dbFile);
    const state = await fetch(`http://127.0.0.1:${ports[0]}/v1/onboardings/c-stack-1`, {
      headers: { authorization: 'Bearer dev-api-key' },
    });
    expect(state.status).toBe(200);
    expect(await state.json()).toMatchObject({ workflowId: 'onboarding-c-stack-1', outcome: 'approved' });
    // The open run's session survived in the simulator's state file: the customer finishes it after the restart.
    const page = await fetch(`http://127.0.0.1:${ports[1]}/idv/?id=${openIdvId}`);
    expect(page.status).toBe(200);
    expect(await page.text()).not.toContain('Session not found');
    await new SimulatorControl(`http://127.0.0.1:${ports[1]}`).complete(openIdvId as string, {
      outcome: 'approved',
    });
    const finished = await waitFor(async () => {
      const response = await fetch(`http://127.0.0.1:${ports[0]}/v1/onboardings/c-stack-2`, {
        headers: { authorization: 'Bearer dev-api-key' },
      });
      const body = (await response.json()) as { outcome?: string };
      return body.outcome === 'approved' ? body : undefined;
    });
    expect(finished).toMatchObject({ outcome: 'approved' });
    expect(await stopStack(stack)).toBe(0);
    expect(isAlive(stack.devServerPid)).toBe(false);
  });
});
