/**
 * `npm run simulator`: the Ondato simulator as a process, configured from the environment (config/env.ts).
 * Webhooks go to this service's receiver unless SIMULATOR_WEBHOOK_URL says otherwise.
 */
import { loadConfig } from '../config';
import { simulatorOptionsFromConfig } from './options-from-config';
import { startSimulator } from './server';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = config.logLevel === 'silent' ? undefined : (line: string) => process.stdout.write(`${line}\n`);
  const running = await startSimulator(simulatorOptionsFromConfig(config, log));
  process.stdout.write(
    `${JSON.stringify({ time: new Date().toISOString(), component: 'ondato-simulator', event: 'listening', url: running.url, stateFile: config.simulator.stateFile ?? null })}\n`,
  );

  const shutdown = (signal: NodeJS.Signals): void => {
    process.stdout.write(
      `${JSON.stringify({ time: new Date().toISOString(), component: 'ondato-simulator', event: 'stopping', signal })}\n`,
    );
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
