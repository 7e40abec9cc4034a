/**
 * Waits until the stack has caught up: no simulator request and no webhook delivery for a while. Phases start
 * from a quiet stack, so one phase's backlog is not billed to the next.
 */
import type { SimulatorControl } from '../../simulator/control-client';

export async function waitForQuiet(
  control: SimulatorControl,
  options: { quietMs?: number; timeoutMs?: number } = {},
): Promise<{ waitedMs: number; quiet: boolean }> {
  const quietMs = options.quietMs ?? 1_000;
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  const began = Date.now();
  let last = await activity(control);
  let stableSince = Date.now();
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const now = await activity(control);
    if (now !== last) {
      last = now;
      stableSince = Date.now();
    } else if (Date.now() - stableSince >= quietMs) {
      return { waitedMs: Date.now() - began, quiet: true };
    }
  }
  return { waitedMs: Date.now() - began, quiet: false };
}

async function activity(control: SimulatorControl): Promise<number> {
  const stats = await control.stats();
  const requests = Object.values(stats.requests).reduce((sum, count) => sum + count, 0);
  return requests + stats.webhookAttempts;
}
