/**
 * docs/simulator.md cannot rot: every curl command in it runs (in a shell, as a reader would paste it) against a
 * real simulator and must succeed, and every route of simulator/control-routes.ts has an example there.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { createRequest, startTestSimulator, type TestSimulator } from './support';

const ROOT = path.resolve(__dirname, '..', '..');
const DOC = readFileSync(path.join(ROOT, 'docs', 'simulator.md'), 'utf8');
const ROUTES_SOURCE = readFileSync(path.join(ROOT, 'simulator', 'control-routes.ts'), 'utf8');
const run = promisify(execFile);

interface DocCommand {
  line: string;
  method: string;
  /** The path under $SIM, query string removed. */
  path: string;
}

function docCommands(): DocCommand[] {
  const blocks = [...DOC.matchAll(/```bash\n([\s\S]*?)```/g)].map((match) => match[1]);
  return blocks
    .flatMap((block) => block.split('\n'))
    .filter((line) => line.startsWith('curl '))
    .map((line) => {
      const method = /-X (\w+)/.exec(line)?.[1] ?? 'GET';
      const url = /"?\$SIM(\/[^\s"?]*)/.exec(line)?.[1];
      if (!url) throw new Error(`no $SIM URL in: ${line}`);
      return { line, method, path: url };
    });
}

function controlRoutes(): { method: string; pattern: RegExp; template: string }[] {
  return [...ROUTES_SOURCE.matchAll(/router\.(get|post|put|patch|delete)\(\s*'([^']+)'/g)].map(
    ([, method, template]) => ({
      method: method.toUpperCase(),
      template,
      pattern: new RegExp(`^/_sim${template.replace(/:\w+/g, '<\\w+>')}$`),
    }),
  );
}

let sim: TestSimulator;
beforeAll(async () => {
  sim = await startTestSimulator();
});
afterAll(() => sim.close());

it('shows an example of every control route, and names only routes that exist', () => {
  const routes = controlRoutes();
  expect(routes.length).toBeGreaterThanOrEqual(12);
  const commands = docCommands();
  for (const command of commands) {
    const route = routes.find(
      (candidate) => candidate.method === command.method && candidate.pattern.test(command.path),
    );
    expect({ command: command.line, route: route?.template }).toEqual({
      command: command.line,
      route: expect.any(String),
    });
  }
  for (const route of routes) {
    const shown = commands.some(
      (command) => command.method === route.method && route.pattern.test(command.path),
    );
    expect({ route: `${route.method} ${route.template}`, shown }).toEqual({
      route: `${route.method} ${route.template}`,
      shown: true,
    });
  }
});

it('every command in the page succeeds when pasted into a shell', async () => {
  const client = sim.client();
  const openIdv = async (): Promise<string> => (await client.createIdentityVerification(createRequest())).id;
  for (const command of docCommands()) {
    let line = command.line;
    if (line.includes('<idvId>')) line = line.replace('<idvId>', await openIdv());
    if (line.includes('<kycId>')) {
      const completed = await sim.control.complete(await openIdv(), { outcome: 'awaiting' });
      line = line.replace('<kycId>', completed.kycId as string);
    }
    line = line.replace('<externalReferenceId>', 'customer-1');
    expect(line).not.toMatch(/<\w+>/);
    const { stdout } = await run('sh', ['-c', `${line} -w '\\n%{http_code}'`], {
      env: { ...process.env, SIM: sim.running.url.replace(/\/+$/, '') },
    });
    const status = Number(stdout.trim().split('\n').pop());
    expect({ line, status: status >= 200 && status < 300 }).toEqual({ line, status: true });
  }
  // What the page says the Ondato-review commands do, they do.
  const awaiting = await sim.control.complete(await openIdv(), { outcome: 'awaiting' });
  const decide = docCommands().find((command) => command.path.endsWith('/decide'));
  await run('sh', ['-c', (decide as DocCommand).line.replace('<kycId>', awaiting.kycId as string)], {
    env: { ...process.env, SIM: sim.running.url.replace(/\/+$/, '') },
  });
  const state = await sim.control.verification(awaiting.idvId);
  expect((state.identification as { status?: string }).status).toBe('Approved');
  await sim.control.clearFaults();
});
