/**
 * The API process (`npm run api`). The Temporal connection is lazy, so the API starts even while Temporal is
 * down (readiness says so). On SIGINT/SIGTERM it stops accepting connections, lets in-flight requests finish
 * within a grace period, then closes the Temporal connection.
 */
import type { Server } from 'node:http';
import { connectTemporalClient } from '../composition/client';
import { loadConfig } from '../config';
import { createLogger } from '../observability/logger';
import { startTracing } from '../observability/tracing';
import { createApp } from './app';
import { ApiMetrics } from './metrics';

const SHUTDOWN_GRACE_MS = 10_000;

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // Keep-alive sockets with no request in flight would hold close() open.
    server.closeIdleConnections();
  });
}

async function main(): Promise<void> {
  const config = loadConfig();
  const { api } = config;
  const logger = createLogger({ level: config.logLevel, service: 'onboarding-api' });
  // Before the client is built: it reads whether tracing is on.
  const tracing = startTracing(config.observability.tracing, 'onboarding-api');
  const temporal = await connectTemporalClient(config, { lazy: true });
  const metrics = new ApiMetrics({ temporal: temporal.client, processMetrics: true });
  const app = createApp({ temporal: temporal.client, config, logger, metrics });

  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(api.port, api.host, () => resolve(listening));
    listening.once('error', reject);
  });
  logger.info(
    {
      host: api.host,
      port: api.port,
      temporal: config.temporal.address,
      codecEndpoint: config.codec.endpointAccess,
      activeKeyId: config.codec.keyRing.activeKeyId,
    },
    'api listening',
  );
  if (config.codec.endpointAccess === 'open' && !isLoopback(api.host)) {
    logger.warn(
      { host: api.host },
      'the codec endpoint decrypts payloads without a token (simulator mode, no CODEC_ENDPOINT_TOKENS) and the API listens beyond loopback',
    );
  }

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
      .then(() => temporal.close())
      .then(() => tracing?.shutdown())
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
