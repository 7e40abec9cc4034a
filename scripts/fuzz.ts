/**
 * `npm run fuzz`: schemathesis against the real service (the local stack of `npm start`: a Temporal dev server,
 * the worker, the API and the Ondato simulator, on free ports and a throw-away data directory), driven only by
 * `/openapi.json`. Checks: no 5xx, every status, content type, header and body as documented, and the two
 * that hold the document to the validation: data the schema allows is accepted (`positive_data_acceptance`),
 * data it forbids is refused (`negative_data_rejection`). Bounded: `--examples` per operation (default 25) and
 * `--max-time` seconds of fuzzing (default 150). Exit 1 on any finding.
 *
 *   npm run fuzz -- [--examples N] [--max-time S] [--seed N]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureSchemathesis, SCHEMATHESIS_VERSION } from './schemathesis';
import { ensureTemporalCli } from './temporal-cli';

const ROOT = path.resolve(__dirname, '..');
const STACK_READY_TIMEOUT_MS = 120_000;
const STACK_STOP_TIMEOUT_MS = 20_000;

/** The checks that hold the service to its document (schemathesis names). */
export const FUZZ_CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_headers_conformance',
  'response_schema_conformance',
  'negative_data_rejection',
  'positive_data_acceptance',
] as const;

/** Credentials of the throw-away stack: the fuzzer authenticates as each security scheme asks. */
const CREDENTIALS = {
  apiKey: 'fuzz-api-key',
  opsKey: 'fuzz-ops-key',
  webhookUsername: 'fuzz-ondato',
  webhookPassword: 'fuzz-webhook-password',
};

export interface FuzzOptions {
  examples: number;
  maxTimeSeconds: number;
  seed: number;
}

export function parseFuzzArgs(argv: readonly string[]): FuzzOptions {
  const options: FuzzOptions = { examples: 25, maxTimeSeconds: 150, seed: 18 };
  for (let i = 0; i < argv.length; i += 1) {
    const value = Number(argv[i + 1]);
    const flag = argv[i];
    if (!['--examples', '--max-time', '--seed'].includes(flag) || !Number.isInteger(value) || value < 0) {
      throw new Error(`unknown or invalid argument ${flag} ${argv[i + 1] ?? ''}`.trim());
    }
    if (flag === '--examples') options.examples = value;
    if (flag === '--max-time') options.maxTimeSeconds = value;
    if (flag === '--seed') options.seed = value;
    i += 1;
  }
  return options;
}

const say = (line: string): void => void process.stderr.write(`[fuzz] ${line}\n`);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitForReady(url: string, stack: ChildProcess): Promise<void> {
  const deadline = Date.now() + STACK_READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (stack.exitCode !== null) throw new Error(`the stack exited with ${stack.exitCode} while starting`);
    const ready = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) }).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`the stack was not ready within ${STACK_READY_TIMEOUT_MS / 1000} s`);
}

async function stopStack(stack: ChildProcess): Promise<void> {
  if (stack.exitCode !== null || stack.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => stack.once('exit', () => resolve()));
  stack.kill('SIGTERM');
  const timer = setTimeout(() => stack.kill('SIGKILL'), STACK_STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/**
 * schemathesis.toml: one credential per security scheme of the document, and 413 as a refusal either way:
 * the body-size limit (API_BODY_LIMIT) is checked before the schema and is no schema rule, but it is a
 * documented answer of every operation with a body. The list's `nextPageToken` is opaque: any string fits its
 * schema, but only a token this API issued for the same filters is honoured (400 otherwise), which no schema can
 * say; so a 400 counts as acceptable for that one operation's valid-data check (test/api/list-onboardings.test.ts
 * holds every filter's acceptance and refusal). Likewise a POST's `Idempotency-Key`: schemathesis sends the same
 * few keys with different bodies, and a key reused for another request is refused with 422 by design, which no
 * schema can say either (test/api/idempotency-keys.test.ts holds replays and refusals).
 */
function configFile(): string {
  const statuses = (list: string[]) => `[${list.map((status) => `"${status}"`).join(', ')}]`;
  return [
    '[checks.negative_data_rejection]',
    `expected-statuses = ${statuses(['400', '401', '403', '404', '405', '406', '409', '413', '415', '422', '428', '429'])}`,
    '[checks.positive_data_acceptance]',
    `expected-statuses = ${statuses(['2xx', '401', '403', '404', '409', '413', '429'])}`,
    '[[operations]]',
    'include-name = "GET /v1/onboardings"',
    `checks.positive_data_acceptance.expected-statuses = ${statuses(['2xx', '400', '401', '403', '404', '409', '413', '429'])}`,
    '[[operations]]',
    'include-method = "POST"',
    `checks.positive_data_acceptance.expected-statuses = ${statuses(['2xx', '401', '403', '404', '409', '413', '422', '429'])}`,
    '[auth.openapi.apiKey]',
    `bearer = "${CREDENTIALS.apiKey}"`,
    '[auth.openapi.opsKey]',
    `bearer = "${CREDENTIALS.opsKey}"`,
    '[auth.openapi.webhookBasic]',
    `username = "${CREDENTIALS.webhookUsername}"`,
    `password = "${CREDENTIALS.webhookPassword}"`,
    '',
  ].join('\n');
}

interface Summary {
  requests?: number;
  operations?: number;
  failures: string[];
}

/** What the run did, from schemathesis's NDJSON event stream (counts) and its exit code. */
function summarise(ndjsonPath: string): Summary {
  const summary: Summary = { failures: [] };
  let text: string;
  try {
    text = readFileSync(ndjsonPath, 'utf8');
  } catch {
    return summary;
  }
  let cases = 0;
  const operations = new Set<string>();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let event: Record<string, unknown>;
    try {
      event = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    const scenario = event.ScenarioFinished as
      | {
          recorder?: {
            label?: string;
            interactions?: Record<string, unknown>;
            checks?: Record<string, unknown[]>;
          };
        }
      | undefined;
    if (!scenario?.recorder) continue;
    if (scenario.recorder.label) operations.add(scenario.recorder.label);
    cases += Object.keys(scenario.recorder.interactions ?? {}).length;
    for (const checks of Object.values(scenario.recorder.checks ?? {})) {
      for (const check of checks as Array<{ name?: string; status?: string }>) {
        if (check.status === 'failure') summary.failures.push(`${scenario.recorder.label}: ${check.name}`);
      }
    }
  }
  summary.requests = cases;
  summary.operations = operations.size;
  return summary;
}

async function main(): Promise<void> {
  const options = parseFuzzArgs(process.argv.slice(2));
  const started = Date.now();
  const [st, cli] = await Promise.all([ensureSchemathesis(), ensureTemporalCli(process.env, say)]);
  const work = mkdtempSync(path.join(tmpdir(), 'ondato-fuzz-'));
  const [apiPort, temporalPort, uiPort, simulatorPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const stackLog = path.join(work, 'stack.log');
  say(`starting the stack (API ${apiUrl}; its log: ${stackLog})`);
  // The stack runs in the throw-away directory (no developer .env, no .data/), with this checkout's tsx.
  const tsx = pathToFileURL(
    path.join(path.dirname(require.resolve('tsx/package.json')), 'dist', 'loader.mjs'),
  );
  const stack = spawn(process.execPath, ['--import', tsx.href, path.join(ROOT, 'scripts', 'start.ts')], {
    cwd: work,
    env: {
      ...process.env,
      TEMPORAL_CLI_PATH: cli.path,
      LOG_LEVEL: 'warn',
      API_HOST: '127.0.0.1',
      API_PORT: String(apiPort),
      API_KEYS: CREDENTIALS.apiKey,
      API_OPS_KEYS: CREDENTIALS.opsKey,
      TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
      TEMPORAL_UI_PORT: String(uiPort),
      TEMPORAL_DB_FILE: path.join(work, 'temporal.sqlite'),
      SIMULATOR_HOST: '127.0.0.1',
      SIMULATOR_PORT: String(simulatorPort),
      SIMULATOR_STATE_FILE: 'none',
      DOCUMENT_DIR: path.join(work, 'documents'),
      WEBHOOK_USERNAME: CREDENTIALS.webhookUsername,
      WEBHOOK_PASSWORD: CREDENTIALS.webhookPassword,
      // Whatever callback URL the document allows must be accepted, or every such start is a finding: any
      // host, any address (no callback is ever delivered: no run decides while the fuzzer runs).
      CALLBACK_ALLOWED_URLS: '*',
      CALLBACK_ALLOW_PRIVATE_TARGETS: 'true',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logStream = createWriteStream(stackLog);
  stack.stdout?.pipe(logStream);
  stack.stderr?.pipe(logStream);
  let exitCode = 1;
  try {
    await waitForReady(apiUrl, stack);
    say(`stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    writeFileSync(path.join(work, 'schemathesis.toml'), configFile());
    const ndjson = path.join(work, 'events.ndjson');
    const args = [
      'run',
      `${apiUrl}/openapi.json`,
      '--url',
      apiUrl,
      '--checks',
      FUZZ_CHECKS.join(','),
      '--phases',
      'examples,coverage,fuzzing',
      '--max-examples',
      String(options.examples),
      '--max-time',
      String(options.maxTimeSeconds),
      '--seed',
      String(options.seed),
      // One worker: with two, schemathesis's threads parse source concurrently through hypothesis, and
      // CPython 3.11's ast is not thread-safe ("AST constructor recursion depth mismatch" aborted a CI run).
      '--workers',
      '1',
      '--generation-database',
      'none',
      '--request-timeout',
      '30',
      '--report',
      'ndjson',
      '--report-ndjson-path',
      ndjson,
      '--no-color',
    ];
    say(
      `schemathesis ${SCHEMATHESIS_VERSION}: ${options.examples} examples per operation, at most ${options.maxTimeSeconds} s`,
    );
    const fuzzStarted = Date.now();
    exitCode = await new Promise<number>((resolve, reject) => {
      const child = spawn(st.path, args, { cwd: work, stdio: ['ignore', 'inherit', 'inherit'] });
      child.on('error', reject);
      child.on('exit', (code) => resolve(code ?? 1));
    });
    const summary = summarise(ndjson);
    say(
      `${summary.requests ?? '?'} requests over ${summary.operations ?? '?'} operations in ${((Date.now() - fuzzStarted) / 1000).toFixed(0)} s; findings: ${summary.failures.length === 0 ? 'none' : summary.failures.join('; ')}; schemathesis exit ${exitCode}`,
    );
  } finally {
    await stopStack(stack);
    logStream.end();
    if (exitCode === 0) rmSync(work, { recursive: true, force: true });
    else say(`kept ${work} (stack log, events) for a look`);
  }
  process.exit(exitCode === 0 ? 0 : 1);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    say(`failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
