/** Closed-loop work: `count` tasks with at most `concurrency` in flight; a new one starts as one finishes. */

export interface PoolResult<T> {
  results: Array<{ index: number; value?: T; error?: unknown }>;
  elapsedMs: number;
}

export async function runPool<T>(options: {
  count: number;
  concurrency: number;
  task(index: number): Promise<T>;
  onProgress?(done: number, failed: number): void;
}): Promise<PoolResult<T>> {
  const results: PoolResult<T>['results'] = [];
  let next = 0;
  let failed = 0;
  const startedAt = Date.now();
  const lane = async (): Promise<void> => {
    while (next < options.count) {
      const index = next;
      next += 1;
      try {
        results.push({ index, value: await options.task(index) });
      } catch (error) {
        failed += 1;
        results.push({ index, error });
      }
      options.onProgress?.(results.length, failed);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, options.count) }, lane));
  return { results, elapsedMs: Date.now() - startedAt };
}
