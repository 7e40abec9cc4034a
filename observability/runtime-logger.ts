/**
 * The Temporal SDK logs (worker lifecycle, activity and workflow logs, and the Rust core's own, forwarded)
 * through the project's pino logger, so they get the same format and the same redaction.
 */
import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import { Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import type { Logger } from 'pino';
import { safeError } from './logger';

const PINO_LEVEL: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** Errors in the metadata keep name, message and stack only (failure details can echo Ondato's messages). */
function fields(meta: LogMetadata | undefined): Record<string, unknown> {
  if (!meta) return {};
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(meta))
    out[key] = value instanceof Error ? safeError(value) : value;
  return out;
}

export class PinoRuntimeLogger implements TemporalLogger {
  constructor(private readonly logger: Logger) {}

  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    const method = PINO_LEVEL[level] ?? 'info';
    if (this.logger.isLevelEnabled(method)) this.logger[method](fields(meta), message);
  }

  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }

  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }

  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }

  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }

  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}

export interface RuntimeLoggingOptions {
  /** Signals on which the Runtime shuts workers down; `[]` when the process handles signals itself. */
  shutdownSignals?: NodeJS.Signals[];
  /** The Rust core's log level (it is chatty below WARN). */
  coreLevel?: LogLevel;
  /**
   * Forward the core's logs to `logger` (default) rather than printing them to stderr in the core's format.
   * Forwarding holds the event loop open until the Runtime shuts down (after its last connection closes), so a
   * process that may never open a connection, e.g. a test file without a worker, should not forward.
   */
  forwardCoreLogs?: boolean;
  /**
   * `host:port` of the Temporal runtime's Prometheus exporter (the core SDK's temporal_* worker metrics:
   * task slots, poll and schedule-to-start latencies, sticky cache); absent: no runtime metrics.
   */
  prometheusBindAddress?: string;
}

/** Installs the Temporal Runtime with its logs going to `logger`. Call once, before any worker or connection. */
export function installRuntimeLogging(logger: Logger, options: RuntimeLoggingOptions = {}): Runtime {
  return Runtime.install({
    logger: new PinoRuntimeLogger(logger),
    ...(options.shutdownSignals ? { shutdownSignals: options.shutdownSignals } : {}),
    telemetryOptions: {
      logging: {
        filter: makeTelemetryFilterString({ core: options.coreLevel ?? 'WARN', other: 'ERROR' }),
        ...(options.forwardCoreLogs === false ? { console: {} } : { forward: {} }),
      },
      ...(options.prometheusBindAddress
        ? { metrics: { prometheus: { bindAddress: options.prometheusBindAddress } } }
        : {}),
    },
  });
}
