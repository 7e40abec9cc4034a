/** The simulator's options from the service configuration: the same credentials the client and the API use. */
import type { AppConfig } from '../config';
import type { SimulatorOptions } from './app';

export function simulatorOptionsFromConfig(
  config: Pick<AppConfig, 'simulator' | 'ondato' | 'api'>,
  log?: (line: string) => void,
): SimulatorOptions {
  const { simulator, ondato } = config;
  const { webhooks } = config.api;
  return {
    host: simulator.host,
    port: simulator.port,
    publicUrl: simulator.publicUrl,
    clientId: ondato.clientId,
    clientSecret: ondato.clientSecret,
    tokenLifetimeSeconds: simulator.tokenLifetimeSeconds,
    documentBytes: simulator.documentBytes,
    stateFile: simulator.stateFile,
    webhook: {
      url: simulator.webhookUrl,
      username: webhooks.username,
      password: webhooks.password,
      hmacSecret: webhooks.hmacSecret,
      timeScale: simulator.webhookTimeScale,
    },
    log,
  };
}
