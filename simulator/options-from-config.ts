/** The simulator's options from the service configuration: the same credentials the client and the API use. */
import type { AppConfig } from '../config/env';
import type { SimulatorOptions } from './app';

/** A wildcard bind address is not somewhere to send webhooks to. */
function reachableHost(host: string): string {
  return host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
}

export function simulatorOptionsFromConfig(
  config: AppConfig,
  log?: (line: string) => void,
): SimulatorOptions {
  const { env } = config;
  return {
    host: env.SIMULATOR_HOST,
    port: env.SIMULATOR_PORT,
    publicUrl: env.SIMULATOR_PUBLIC_URL,
    clientId: env.ONDATO_CLIENT_ID,
    clientSecret: env.ONDATO_CLIENT_SECRET,
    tokenLifetimeSeconds: env.SIMULATOR_TOKEN_LIFETIME_SECONDS,
    documentBytes: env.SIMULATOR_DOCUMENT_BYTES,
    webhook: {
      url:
        env.SIMULATOR_WEBHOOK_URL ?? `http://${reachableHost(env.API_HOST)}:${env.API_PORT}/webhooks/ondato`,
      username: env.WEBHOOK_USERNAME,
      password: env.WEBHOOK_PASSWORD,
      hmacSecret: env.WEBHOOK_HMAC_SECRET,
      timeScale: env.SIMULATOR_WEBHOOK_TIME_SCALE,
    },
    log,
  };
}
