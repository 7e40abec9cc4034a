/** `npm run setup`: makes sure the Temporal CLI exists (building it once if needed) and reports where it is. */
import { cliVersion, ensureTemporalCli } from './temporal-cli';

async function main(): Promise<void> {
  const started = Date.now();
  const cli = await ensureTemporalCli();
  const ms = Date.now() - started;
  process.stderr.write(
    `[setup] Temporal CLI (${cli.source}): ${cli.path}\n[setup] ${cliVersion(cli)} — ready in ${ms} ms\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`[setup] failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
