/**
 * The Temporal Runtime's logger in tests: the service's own pino logger (so redaction is exercised) and its
 * Runtime adapter. Normally only errors are written, to stderr; a test can capture everything the SDK logs
 * (worker, activities, workflows, core) while it runs a scenario.
 */
import { createLogger } from '../../observability/logger';

const ERROR_LEVEL = 50;
let captured: string[] | undefined;

export const runtimeLogger = createLogger({
  level: 'error',
  service: 'test-worker',
  destination: {
    write(line: string) {
      // While a test captures, it asserts on the lines (errors included) itself.
      if (captured) captured.push(line);
      else if (((JSON.parse(line) as { level?: number }).level ?? 0) >= ERROR_LEVEL)
        process.stderr.write(line);
    },
  },
});

/** Captures every Runtime log line (at trace, errors included) until `stop()`. */
export function captureRuntimeLogs(): { lines: string[]; text(): string; stop(): void } {
  const lines: string[] = [];
  captured = lines;
  runtimeLogger.level = 'trace';
  return {
    lines,
    text: () => lines.join(''),
    stop() {
      captured = undefined;
      runtimeLogger.level = 'error';
    },
  };
}
