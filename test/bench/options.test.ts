/**
 * The benchmark's command line: the cluster scenario runs in the full run and when named, never in a quick smoke
 * run (it takes minutes to start), and comes after e2e so it can show e2e's dev-server figures beside its own.
 */
import { parseOptions, type BenchOptions } from '../../bench/options';

function options(argv: string[]): BenchOptions {
  const parsed = parseOptions(argv);
  if (parsed === 'help' || 'markdownOf' in parsed) throw new Error('expected options');
  return parsed;
}

describe('bench options', () => {
  it('runs the cluster in the full run, after e2e', () => {
    const { only } = options([]);
    expect(only).toContain('cluster');
    expect(only.indexOf('cluster')).toBeGreaterThan(only.indexOf('e2e'));
  });

  it('leaves the cluster out of --quick unless --only names it', () => {
    expect(options(['--quick']).only).not.toContain('cluster');
    expect(options(['--quick']).only).toEqual(
      expect.arrayContaining(['e2e', 'webhooks', 'start', 'waiting']),
    );
    expect(options(['--quick', '--only', 'cluster']).only).toEqual(['cluster']);
  });

  it('starts at 20/s by default (issue 19), still set by --start-rate', () => {
    expect(options([]).start.rate).toBe(20);
    expect(options(['--start-rate', '35']).start.rate).toBe(35);
  });

  it('sizes the cluster load like e2e by default and takes its own flags', () => {
    const full = options([]);
    expect(full.cluster).toEqual({
      count: 200,
      concurrency: full.e2e.concurrency,
      documentKiB: 64,
      warmup: 20,
    });
    expect(options(['--cluster-count', '40', '--cluster-concurrency', '20']).cluster).toMatchObject({
      count: 40,
      concurrency: 20,
    });
  });
});
