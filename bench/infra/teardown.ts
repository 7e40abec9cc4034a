/**
 * Everything the benchmark starts registers how to stop it here. Scopes close in reverse order on success, on
 * errors (try/finally) and on Ctrl-C/SIGTERM (every open scope, newest first), so no dev server, child process
 * or listening socket outlives the run.
 */

type Stop = () => Promise<unknown> | unknown;

const STOP_TIMEOUT_MS = 15_000;
const openScopes = new Set<Scope>();

export class Scope {
  private readonly stops: Array<{ what: string; stop: Stop; timeoutMs: number }> = [];
  private closing: Promise<void> | undefined;

  constructor(readonly name: string) {
    openScopes.add(this);
  }

  /** Registers a stop; the last registered runs first. `timeoutMs` for stops that take long (a whole cluster). */
  defer(what: string, stop: Stop, timeoutMs = STOP_TIMEOUT_MS): void {
    this.stops.push({ what, stop, timeoutMs });
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const { what, stop, timeoutMs } of this.stops.reverse()) {
        try {
          await withTimeout(Promise.resolve(stop()), timeoutMs, what);
        } catch (error) {
          process.stderr.write(
            `[bench] while stopping ${what}: ${error instanceof Error ? error.message : String(error)}\n`,
          );
        }
      }
      openScopes.delete(this);
    })();
    return this.closing;
  }
}

/** Runs `body` with a fresh scope that is always closed afterwards. */
export async function withScope<T>(name: string, body: (scope: Scope) => Promise<T>): Promise<T> {
  const scope = new Scope(name);
  try {
    return await body(scope);
  } finally {
    await scope.close();
  }
}

let interruptedAt: number | undefined;
/** A terminal's Ctrl-C reaches the benchmark twice (directly and relayed by tsx): only a later one forces exit. */
const REPEATED_SIGNAL_MS = 2_000;

/** On a signal: close every open scope (newest first), then exit. Another Ctrl-C later exits at once. */
export function stopEverythingOnSignals(): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (interruptedAt !== undefined) {
        if (Date.now() - interruptedAt > REPEATED_SIGNAL_MS) process.exit(130);
        return;
      }
      interruptedAt = Date.now();
      process.stderr.write(`\n[bench] ${signal}: stopping everything the benchmark started…\n`);
      void closeAllScopes().finally(() => process.exit(130));
    });
  }
}

export async function closeAllScopes(): Promise<void> {
  for (const scope of [...openScopes].reverse()) await scope.close();
}

export function wasInterrupted(): boolean {
  return interruptedAt !== undefined;
}

async function withTimeout(work: Promise<unknown>, ms: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      work,
      new Promise((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not stop within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
