/** The worker closes the lifecycle activities' connection only once their calls are done (or a bound passed). */
import { trackInFlight } from '../../composition/in-flight';

describe('trackInFlight', () => {
  it('passes calls through and is idle at once when nothing runs', async () => {
    const tracked = trackInFlight({ double: async (value: number) => value * 2 });
    expect(await tracked.activities.double(21)).toBe(42);
    const started = Date.now();
    await tracked.idle(5_000);
    expect(Date.now() - started).toBeLessThan(50);
  });

  it('waits for running calls, failed ones included, and gives up after its bound', async () => {
    let finish!: () => void;
    const tracked = trackInFlight({
      slow: () => new Promise<void>((resolve) => (finish = resolve)),
      failing: async () => {
        await new Promise((resolve) => setTimeout(resolve, 30));
        throw new Error('refused');
      },
      stuck: () => new Promise<void>(() => undefined),
    });
    const slow = tracked.activities.slow();
    const failing = tracked.activities.failing().catch((error: Error) => error.message);
    let idle = false;
    const waiting = tracked.idle(5_000).then(() => (idle = true));
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(idle).toBe(false);
    expect(await failing).toBe('refused');
    finish();
    await slow;
    await waiting;
    expect(idle).toBe(true);

    void tracked.activities.stuck();
    const started = Date.now();
    await tracked.idle(100);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
  });
});
