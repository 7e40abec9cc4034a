/**
 * Runs a service entry point (api/main.ts, workers/main.ts, …) as the benchmark's child process, unchanged,
 * and adds two things over the IPC channel: event-loop delay readings on request, and stopping when the
 * benchmark goes away (even if it was killed outright and could not send SIGTERM).
 *
 * Usage: node --import tsx bench/infra/child-entry.ts <module>
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { ChildReply, ChildRequest } from './child-protocol';

const FORCED_EXIT_MS = 10_000;

const target = process.argv[2];
if (!target) {
  process.stderr.write('usage: child-entry.ts <module>\n');
  process.exit(2);
}

const loopDelay = monitorEventLoopDelay({ resolution: 5 });
loopDelay.enable();

if (process.send && process.channel) {
  // The channel must not keep the process alive after the service itself has finished.
  process.channel.unref();
  process.on('message', (message: ChildRequest) => {
    if (message.kind !== 'loop-delay') return;
    const reply: ChildReply = {
      kind: 'loop-delay',
      id: message.id,
      p50Ms: loopDelay.percentile(50) / 1e6,
      p99Ms: loopDelay.percentile(99) / 1e6,
      maxMs: loopDelay.max / 1e6,
    };
    loopDelay.reset();
    process.send?.(reply);
  });
  process.on('disconnect', () => {
    // The benchmark is gone: stop the way an operator would, and for sure after a while.
    process.kill(process.pid, 'SIGTERM');
    setTimeout(() => process.exit(1), FORCED_EXIT_MS).unref();
  });
}

// Loaded the way `node --import tsx <module>` would run it: synchronously, as CommonJS.
createRequire(__filename)(path.resolve(target));
