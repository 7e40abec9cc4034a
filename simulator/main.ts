/**
 * `npm run simulator`: the Ondato simulator as a process, configured from the environment (config/env.ts).
 * Webhooks go to this service's receiver unless SIMULATOR_WEBHOOK_URL says otherwise.
 */
import { loadConfig } from '../config/env';
import { startSimulator } from './server';

async function main(): Promise<void> {
  const { env } = loadConfig();
  const apiHost = env.API_HOST === '0.0.0.0' || env.API_HOST === '::' ? '127.0.0.1' : env.API_HOST;
  const running = await startSimulator({
    host: env.SIMULATOR_HOST,
    port: env.SIMULATOR_PORT,
    publicUrl: env.SIMULATOR_PUBLIC_URL,
    clientId: env.ONDATO_CLIENT_ID,
    clientSecret: env.ONDATO_CLIENT_SECRET,
    tokenLifetimeSeconds: env.SIMULATOR_TOKEN_LIFETIME_SECONDS,
    documentBytes: env.SIMULATOR_DOCUMENT_BYTES,
    webhook: {
      url: env.SIMULATOR_WEBHOOK_URL ?? `http://${apiHost}:${env.API_PORT}/webhooks/ondato`,
      username: env.WEBHOOK_USERNAME,
      password: env.WEBHOOK_PASSWORD,
      hmacSecret: env.WEBHOOK_HMAC_SECRET,
      timeScale: env.SIMULATOR_WEBHOOK_TIME_SCALE,
    },
    log: env.LOG_LEVEL === 'silent' ? undefined : (line) => process.stdout.write(`${line}\n`),
  });
  process.stdout.write(
    `${JSON.stringify({ time: new Date().toISOString(), component: 'ondato-simulator', event: 'listening', url: running.url })}\n`,
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
