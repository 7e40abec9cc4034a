/**
 * CPU readings from /proc: a process metered with its children (PostgreSQL's postmaster and its backends) must
 * count CPU its child spends, which the process's own figure does not show.
 */
import { spawn } from 'node:child_process';
import { cpuSeconds, cpuSecondsWithChildren } from '../../bench/measure/proc';

/** A child that burns `ms` of CPU time (not wall time: the cores are shared) and then waits to be killed (so it is still a live child when read). */
function busyChild(ms: number): Promise<{ stop: () => void }> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; }; while (cpu() < ${ms}); console.log('done'); setInterval(() => {}, 1000);`,
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stdout.once('data', () => resolve({ stop: () => child.kill('SIGKILL') }));
  });
}

test('counts the CPU of live children beside the process own', async () => {
  const before = cpuSecondsWithChildren(process.pid) ?? Number.NaN;
  const ownBefore = cpuSeconds(process.pid) ?? Number.NaN;
  const child = await busyChild(400);
  try {
    const withChildren = (cpuSecondsWithChildren(process.pid) ?? Number.NaN) - before;
    const own = (cpuSeconds(process.pid) ?? Number.NaN) - ownBefore;
    expect(withChildren - own).toBeGreaterThanOrEqual(0.25);
  } finally {
    child.stop();
  }
});

test('answers undefined for a process that is gone', () => {
  expect(cpuSecondsWithChildren(2 ** 22 + 12345)).toBeUndefined();
});
