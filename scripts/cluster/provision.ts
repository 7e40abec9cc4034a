/**
 * `npm run setup:cluster`: every binary the production topology and its tests need (the Temporal server, its
 * schema tool and UI server, the CLI, SeaweedFS), built once into the per-user tool cache with progress lines.
 * `npm run test:cluster` runs it first, so no suite of that run has to skip for want of a binary.
 */
import { ensureSeaweedfs } from '../seaweedfs';
import { ensureTemporalCli } from '../temporal-cli';
import { ensureClusterTools } from './tools';

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

async function provision(): Promise<void> {
  const started = Date.now();
  const tools = await ensureClusterTools({ log });
  const cli = await ensureTemporalCli(process.env, log);
  const seaweedfs = await ensureSeaweedfs();
  for (const [name, file] of [
    ['Temporal server', tools.server.path],
    ['temporal-sql-tool', tools.sqlTool.path],
    ['Temporal UI server', tools.uiServer.path],
    ['Temporal CLI', cli.path],
    ['SeaweedFS', seaweedfs.path],
  ]) {
    log(`[setup] ${name}: ${file}`);
  }
  log(`[setup] cluster tools ready in ${Math.round((Date.now() - started) / 1000)} s`);
}

provision().catch((error: unknown) => {
  log(`[setup] ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
