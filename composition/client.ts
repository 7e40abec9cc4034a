/**
 * The Temporal client of the API, the local stack, the tests and the bench: the configured namespace and the
 * encrypting data converter, over a connection from the one connection factory.
 */
import { Client, Connection } from '@temporalio/client';
import { createDataConverter } from '../codec/data-converter';
import type { AppConfig } from '../config';
import { tracingClientInterceptors } from '../observability/tracing';
import { connectWithin, temporalConnectionOptions } from './connection';
import { closedChannelGuardInterceptors } from './grpc-closed-channel';

export interface TemporalClient {
  client: Client;
  connection: Connection;
  close(): Promise<void>;
}

/**
 * `lazy` connects on first use, so a process (the API) can start while Temporal is down and say so in its
 * readiness probe; otherwise the call fails when Temporal is unreachable.
 */
export async function connectTemporalClient(
  config: Pick<AppConfig, 'temporal' | 'codec'>,
  options: { lazy?: boolean } = {},
): Promise<TemporalClient> {
  const connectionOptions = {
    ...temporalConnectionOptions(config.temporal),
    interceptors: closedChannelGuardInterceptors(),
  };
  const connection = options.lazy
    ? Connection.lazy(connectionOptions)
    : await connectWithin(config.temporal, () =>
        Connection.connect({ ...connectionOptions, connectTimeout: config.temporal.connectTimeoutMs }),
      );
  const client = new Client({
    connection,
    namespace: config.temporal.namespace,
    dataConverter: createDataConverter(config),
    // Spans for starts, updates and signals, carried to the run (none when tracing is off).
    interceptors: { workflow: tracingClientInterceptors() },
  });
  return { client, connection, close: () => connection.close() };
}
