/**
 * What the benchmark and the chaos suite both do as processes: parse `--only` against their scenario names,
 * and quiet the Temporal runtime while taking over signal handling (so they stop what they started, in order).
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { stopEverythingOnSignals } from './teardown';

/** `--only a,b` → the named scenarios (all when absent); an unknown name is an error naming the known ones. */
export function parseScenarioList<Name extends string>(raw: unknown, known: readonly Name[]): Name[] {
  if (typeof raw !== 'string') return [...known];
  const names = raw
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  for (const name of names) {
    if (!(known as readonly string[]).includes(name))
      throw new Error(`--only: unknown scenario "${name}" (known: ${known.join(', ')})`);
  }
  return names as Name[];
}

/** SDK warnings only, and no SDK signal handlers: the harness stops its processes itself. */
export function installHarnessRuntime(): void {
  Runtime.install({
    logger: new DefaultLogger('WARN'),
    telemetryOptions: { logging: { filter: { core: 'WARN', other: 'WARN' } } },
    shutdownSignals: [],
  });
  stopEverythingOnSignals();
}
