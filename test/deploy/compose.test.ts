/**
 * docker-compose.yml is for users with Docker; there is no engine here, so its syntax and wiring are checked
 * with a real compose implementation: the `docker compose` plugin if present, else Debian's `docker-compose`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

function composeCommand(): string[] | undefined {
  if (spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0)
    return ['docker', 'compose'];
  if (spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0) return ['docker-compose'];
  return undefined;
}

const compose = composeCommand();
if (!compose) {
  process.stderr.write(
    '[deploy] no compose tool installed (apt-get install docker-compose): compose checks skipped\n',
  );
}
const describeWithCompose = compose ? describe : describe.skip;

function config(...args: string[]): string {
  const [command, ...prefix] = compose as string[];
  return execFileSync(command, [...prefix, '-f', path.join(ROOT, 'docker-compose.yml'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, COMPOSE_PROJECT_NAME: 'ondato-onboarding' },
  });
}

describeWithCompose('docker-compose.yml', () => {
  it('is valid for the compose tool', () => {
    expect(() => config('config', '-q')).not.toThrow();
  });

  it('defines the stack the README describes, with health checks and volumes', () => {
    const services = config('--profile', 'simulator', 'config', '--services').trim().split('\n').sort();
    expect(services).toEqual(
      [
        'api',
        'postgresql',
        'simulator',
        'temporal',
        'temporal-search-attributes',
        'temporal-ui',
        'worker',
      ].sort(),
    );
    const resolved = config('config');
    for (const service of ['postgresql', 'temporal', 'api', 'simulator']) {
      const block = resolved.split(/\n {2}(?=\S)/).find((part) => part.startsWith(`${service}:`)) ?? '';
      expect({ service, hasHealthcheck: block.includes('healthcheck:') }).toEqual({
        service,
        hasHealthcheck: true,
      });
    }
    expect(resolved).toMatch(/volumes:\n\s+documents:/);
    expect(resolved).toContain('dist/workers/main.js');
  });
});
