/**
 * Counts the calls of a set of activities that are still running, so a connection they use is closed only once
 * they are done: closing a gRPC channel under a call that is waiting to retry makes its retry timer throw
 * ('Channel has been shut down') outside any caller, which kills the process.
 */
type AsyncFunctions = Record<string, (...args: never[]) => Promise<unknown>>;

export interface InFlight<T extends AsyncFunctions> {
  activities: T;
  /** Resolves once no call runs, or after `timeoutMs` (a call stuck that long is left to its fate). */
  idle(timeoutMs: number): Promise<void>;
}

export function trackInFlight<T extends AsyncFunctions>(functions: T): InFlight<T> {
  let running = 0;
  let waiters: Array<() => void> = [];
  const wrapped = Object.fromEntries(
    Object.entries(functions).map(([name, call]) => [
      name,
      async (...args: never[]): Promise<unknown> => {
        running += 1;
        try {
          return await call(...args);
        } finally {
          running -= 1;
          if (running === 0) {
            const woken = waiters;
            waiters = [];
            for (const wake of woken) wake();
          }
        }
      },
    ]),
  ) as T;
  return {
    activities: wrapped,
    async idle(timeoutMs) {
      if (running === 0) return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => waiters.push(resolve)),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
      ]);
      clearTimeout(timer);
    },
  };
}
