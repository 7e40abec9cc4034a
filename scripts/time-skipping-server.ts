/**
 * Provides Temporal's time-skipping test server (the Java one from Maven Central) for workflow tests, as a
 * launcher script that `@temporalio/testing` runs through `executable: { type: 'existing-path', path }`.
 * The SDK's default downloads a native build from GitHub, which these machines cannot reach; Maven Central
 * they can. The core starts the launcher as `<launcher> <port>`, and the launcher hands that to the jar's main.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { explicitExecutable, isExecutable, onPath, toolCacheDir, withProgress } from './tool-cache';

/** The Java SDK release whose test server is used; bump it together with the SDK when the server lags. */
export const TEST_SERVER_VERSION = '1.32.1';
const ARTIFACT = `io.temporal:temporal-test-server:${TEST_SERVER_VERSION}`;
const MAIN_CLASS = 'io.temporal.testserver.TestServer';
const LAUNCHER = 'temporal-test-server';

export type TestServerSource = 'TEMPORAL_TEST_SERVER_PATH' | 'cache' | 'built';
export interface TestServer {
  /** An executable that takes the port as its first argument. */
  path: string;
  source: TestServerSource;
}

export function testServerCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return toolCacheDir('temporal-test-server', TEST_SERVER_VERSION, env);
}

function isComplete(dir: string): boolean {
  return (
    isExecutable(path.join(dir, LAUNCHER)) &&
    existsSync(path.join(dir, 'lib', `temporal-test-server-${TEST_SERVER_VERSION}.jar`))
  );
}

/** Looks for an existing launcher only; never builds. */
export function findTestServer(env: NodeJS.ProcessEnv = process.env): TestServer | undefined {
  const explicit = explicitExecutable('TEMPORAL_TEST_SERVER_PATH', env);
  if (explicit) return { path: explicit, source: 'TEMPORAL_TEST_SERVER_PATH' };
  const cached = testServerCacheDir(env);
  if (isComplete(cached)) return { path: path.join(cached, LAUNCHER), source: 'cache' };
  return undefined;
}

const MANUAL_INSTALL_HINT = [
  'Provide the time-skipping test server by hand, then run this again:',
  '  - install Java (11+) and Maven (e.g. `apt-get install openjdk-17-jdk-headless maven`), or',
  '  - point TEMPORAL_TEST_SERVER_PATH at an executable that starts the test server on the port given as its',
  `    first argument (e.g. java -cp "<dir>/*" ${MAIN_CLASS} "$@" over the jars of ${ARTIFACT})`,
].join('\n');

function findJava(env: NodeJS.ProcessEnv): string | undefined {
  const fromHome = env.JAVA_HOME ? path.join(env.JAVA_HOME, 'bin', 'java') : undefined;
  if (fromHome && isExecutable(fromHome)) return fromHome;
  return onPath('java', env);
}

/** slf4j-nop keeps the server's "no SLF4J binding" warning out of every test run's output. */
function pom(): string {
  const dependency = (groupId: string, artifactId: string, version: string): string =>
    `    <dependency><groupId>${groupId}</groupId><artifactId>${artifactId}</artifactId><version>${version}</version></dependency>`;
  return [
    '<project xmlns="http://maven.apache.org/POM/4.0.0">',
    '  <modelVersion>4.0.0</modelVersion>',
    '  <groupId>local.ondato-onboarding</groupId>',
    '  <artifactId>temporal-test-server-launcher</artifactId>',
    '  <version>1</version>',
    '  <packaging>pom</packaging>',
    '  <dependencies>',
    dependency('io.temporal', 'temporal-test-server', TEST_SERVER_VERSION),
    dependency('org.slf4j', 'slf4j-nop', '1.7.36'),
    '  </dependencies>',
    '</project>',
    '',
  ].join('\n');
}

/**
 * `exec` so the process the SDK kills at teardown is the JVM itself. Jars are found next to the launcher, so
 * the directory can be renamed into place after it is built. The server lives for one test file: the client
 * compiler alone and the serial collector cost far less CPU than C2 and G1 warming up, which matters when two
 * jest workers share two cores.
 */
function launcherScript(java: string): string {
  return [
    '#!/bin/sh',
    `# Temporal time-skipping test server ${TEST_SERVER_VERSION} (Maven Central ${ARTIFACT}).`,
    '# Usage: temporal-test-server <port> [--enable-time-skipping]',
    'here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)',
    `java='${java}'`,
    '[ -x "$java" ] || java=java',
    `exec "$java" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp "$here/lib/*" ${MAIN_CLASS} "$@"`,
    '',
  ].join('\n');
}

/** Maven 3.8 writes colour resets even in batch mode; only its real lines (errors, with `-q`) are passed on. */
const ANSI_ESCAPE = new RegExp(String.raw`\x1b\[[0-9;]*m`, 'g');

function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const forward = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').replace(ANSI_ESCAPE, '').split('\n')) {
        if (line.trim()) log(`[${path.basename(command)}] ${line.trimEnd()}`);
      }
    };
    child.stdout.on('data', forward);
    child.stderr.on('data', forward);
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${path.basename(command)} exited with code ${code}.\n${MANUAL_INSTALL_HINT}`)),
    );
  });
}

/**
 * Returns a launcher, fetching the jars through Maven into the cache when none exists. Prints progress while
 * it works.
 */
export async function ensureTestServer(
  env: NodeJS.ProcessEnv = process.env,
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<TestServer> {
  const found = findTestServer(env);
  if (found) return found;

  const java = findJava(env);
  const mvn = onPath('mvn', env);
  if (!java || !mvn) {
    const missing = [java ? undefined : 'java (JAVA_HOME or PATH)', mvn ? undefined : 'mvn (PATH)'];
    throw new Error(
      `No time-skipping test server (TEMPORAL_TEST_SERVER_PATH, ${testServerCacheDir(env)}) and no ` +
        `${missing.filter(Boolean).join(' or ')} to fetch one.\n${MANUAL_INSTALL_HINT}`,
    );
  }
  const target = testServerCacheDir(env);
  const staging = `${target}.building-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const project = mkdtempSync(path.join(tmpdir(), 'temporal-test-server-pom-'));
  writeFileSync(path.join(project, 'pom.xml'), pom());
  log(`[setup] fetching the Temporal test server ${TEST_SERVER_VERSION} from Maven Central into ${target}`);
  log('[setup] this happens once per machine; later runs reuse it');

  const started = Date.now();
  try {
    await withProgress('fetching the test server', log, () =>
      run(
        mvn,
        [
          '-q',
          '-B',
          '-Dstyle.color=never',
          '-f',
          path.join(project, 'pom.xml'),
          'dependency:copy-dependencies',
          '-DincludeScope=runtime',
          `-DoutputDirectory=${path.join(staging, 'lib')}`,
        ],
        env,
        log,
      ),
    );
    writeFileSync(path.join(staging, LAUNCHER), launcherScript(java), { mode: 0o755 });
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
  // Publish with a rename so a concurrent setup never sees a half-filled directory; if one won the race, use it.
  mkdirSync(path.dirname(target), { recursive: true });
  if (existsSync(target) && !isComplete(target)) rmSync(target, { recursive: true, force: true });
  try {
    renameSync(staging, target);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    if (!isComplete(target)) throw error;
  }
  log(`[setup] test server ready in ${Math.round((Date.now() - started) / 1000)} s`);
  return { path: path.join(target, LAUNCHER), source: 'built' };
}
