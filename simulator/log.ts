/** One JSON line per event. Callers pass ids, routes, statuses and timings only: never secrets or bodies. */
export type LogSink = (line: string) => void;

export type Logger = (event: string, fields?: Record<string, unknown>) => void;

export function createLogger(sink: LogSink | undefined, component = 'ondato-simulator'): Logger {
  if (!sink) return () => undefined;
  return (event, fields = {}) => {
    sink(JSON.stringify({ time: new Date().toISOString(), component, event, ...fields }));
  };
}
