/**
 * How every process reaches Temporal, in one place: the connection options of clients (API, tests, bench) and
 * workers come from here, so TLS (a CA, a client certificate for mTLS, a server name) and API keys (Temporal
 * Cloud) are set once for both.
 */
import { readFileSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/client';
import type { TemporalSettings, TemporalTlsSettings } from '../config';

/** What both `Connection` (client) and `NativeConnection` (worker) accept. */
export interface TemporalConnectionOptions {
  address: string;
  tls?: TLSConfig | boolean;
  apiKey?: string;
}

export class TemporalTlsFileError extends Error {
  constructor(variable: string, file: string, options: { cause: unknown }) {
    const reason = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(`${variable}=${file} cannot be read: ${reason}`, options);
    this.name = 'TemporalTlsFileError';
  }
}

function readPem(variable: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new TemporalTlsFileError(variable, file, { cause: error });
  }
}

/** Files are read at each connection, so a renewed certificate is picked up by the next process start. */
function tlsConfig(tls: TemporalTlsSettings): TLSConfig | true {
  const config: TLSConfig = {};
  if (tls.caFile) config.serverRootCACertificate = readPem('TEMPORAL_TLS_CA_FILE', tls.caFile);
  if (tls.clientCertFile && tls.clientKeyFile) {
    config.clientCertPair = {
      crt: readPem('TEMPORAL_TLS_CERT_FILE', tls.clientCertFile),
      key: readPem('TEMPORAL_TLS_KEY_FILE', tls.clientKeyFile),
    };
  }
  if (tls.serverName) config.serverNameOverride = tls.serverName;
  // `true`: TLS with the system's roots and no client certificate (Temporal Cloud with an API key).
  return Object.keys(config).length > 0 ? config : true;
}

export function temporalConnectionOptions(
  temporal: Pick<TemporalSettings, 'address' | 'tls' | 'apiKey'>,
): TemporalConnectionOptions {
  return {
    address: temporal.address,
    ...(temporal.tls ? { tls: tlsConfig(temporal.tls) } : {}),
    ...(temporal.apiKey ? { apiKey: temporal.apiKey } : {}),
  };
}

/** A connection that failed, with what was tried: the SDK's own words ("Failed to connect before the deadline") name neither TLS nor the files. */
export class TemporalConnectionError extends Error {
  constructor(temporal: Pick<TemporalSettings, 'address' | 'tls' | 'apiKey'>, options: { cause: unknown }) {
    const reason = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(
      `cannot connect to Temporal at ${temporal.address} ${transportDescription(temporal)}: ${reason}`,
      options,
    );
    this.name = 'TemporalConnectionError';
  }
}

function transportDescription(temporal: Pick<TemporalSettings, 'tls' | 'apiKey'>): string {
  const { tls } = temporal;
  if (!tls) return 'in plaintext (no TEMPORAL_TLS*)';
  const parts = [
    tls.caFile ? `CA ${tls.caFile}` : "the system's CA roots",
    tls.clientCertFile ? `client certificate ${tls.clientCertFile}` : 'no client certificate',
    ...(tls.serverName ? [`server name ${tls.serverName}`] : []),
    ...(temporal.apiKey ? ['an API key'] : []),
  ];
  return `over TLS (${parts.join(', ')})`;
}

/**
 * Connects within TEMPORAL_CONNECT_TIMEOUT_MS, or fails with what was tried. The worker's NativeConnection has
 * no timeout of its own: behind a proxy that accepts TCP and never completes the handshake it waits forever.
 */
export async function connectWithin<T>(
  temporal: Pick<TemporalSettings, 'address' | 'tls' | 'apiKey' | 'connectTimeoutMs'>,
  connect: () => Promise<T>,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () =>
        reject(new Error(`no answer within ${temporal.connectTimeoutMs} ms (TEMPORAL_CONNECT_TIMEOUT_MS)`)),
      temporal.connectTimeoutMs,
    );
  });
  try {
    return await Promise.race([connect(), late]);
  } catch (error) {
    throw new TemporalConnectionError(temporal, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}
