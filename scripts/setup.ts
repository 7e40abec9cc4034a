/**
 * `npm run setup`: makes sure the Temporal CLI exists (building it once if needed) and reports where it is.
 * `--with-test-server` also provides the time-skipping test server the workflow tests use (`npm test` passes
 * it), so `npm start` does not pay for a JVM download it never needs.
 */
import { cliVersion, ensureTemporalCli } from './temporal-cli';
import { ensureTestServer } from './time-skipping-server';

async function main(): Promise<void> {
  const started = Date.now();
  const cli = await ensureTemporalCli();
  const ms = Date.now() - started;
  process.stderr.write(
    `[setup] Temporal CLI (${cli.source}): ${cli.path}\n[setup] ${cliVersion(cli)} — ready in ${ms} ms\n`,
  );
  if (process.argv.slice(2).includes('--with-test-server')) {
    const testServerStarted = Date.now();
    const testServer = await ensureTestServer();
    process.stderr.write(
      `[setup] time-skipping test server (${testServer.source}): ${testServer.path} — ready in ${Date.now() - testServerStarted} ms\n`,
    );
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`[setup] failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
