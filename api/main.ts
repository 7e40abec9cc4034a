/**
 * The API process (`npm run api`). The Temporal connection is lazy, so the API starts even while Temporal is
 * down (readiness says so). On SIGINT/SIGTERM it stops accepting connections, lets in-flight requests finish
 * within a grace period, then closes the Temporal connection.
 */
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import pino from 'pino';
import { loadConfig } from '../config/env';
import { createApp } from './app';

const SHUTDOWN_GRACE_MS = 10_000;

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // Keep-alive sockets with no request in flight would hold close() open.
    server.closeIdleConnections();
  });
}

async function main(): Promise<void> {
  const config = loadConfig();
  const { env } = config;
  const logger = pino({ level: env.LOG_LEVEL, base: { service: 'onboarding-api' } });
  const connection = Connection.lazy({ address: env.TEMPORAL_ADDRESS });
  const temporal = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE });
  const app = createApp({ temporal, config, logger });

  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(env.API_PORT, env.API_HOST, () => resolve(listening));
    listening.once('error', reject);
  });
  logger.info({ host: env.API_HOST, port: env.API_PORT, temporal: env.TEMPORAL_ADDRESS }, 'api listening');

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'api shutting down');
    const forced = setTimeout(() => {
      logger.warn('requests still running after the grace period; closing them');
      server.closeAllConnections();
    }, SHUTDOWN_GRACE_MS);
    forced.unref();
    closeServer(server)
      .then(() => connection.close())
      .then(() => {
        clearTimeout(forced);
        logger.info('api stopped');
        process.exit(0);
      })
      .catch((error: unknown) => {
        logger.error(
          { err: { message: error instanceof Error ? error.message : String(error) } },
          'shutdown failed',
        );
        process.exit(1);
      });
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  process.stderr.write(`[api] fatal: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
