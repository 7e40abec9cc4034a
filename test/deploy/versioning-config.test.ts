/** What a worker declares for Worker Versioning, from configuration alone (no server). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { workerDeploymentOptions } from '../../composition/worker-versioning';
import { ConfigError, loadConfig } from '../../config';

const { version } = JSON.parse(readFileSync(path.resolve(__dirname, '..', '..', 'package.json'), 'utf8')) as {
  version: string;
};

describe('Worker Versioning configuration', () => {
  it('is off by default: the worker polls unversioned, so runs never wait for a current build', () => {
    const config = loadConfig({});
    expect(config.temporal.worker.versioning).toEqual({
      enabled: false,
      deploymentName: 'ondato-onboarding',
    });
    expect(workerDeploymentOptions(config.temporal.worker.versioning)).toBeUndefined();
  });

  it('pins every run to the configured build when on', () => {
    const config = loadConfig({
      TEMPORAL_WORKER_VERSIONING: 'on',
      TEMPORAL_DEPLOYMENT_NAME: 'onboarding-eu',
      TEMPORAL_BUILD_ID: '1.4.0-3f9c2ab',
    });
    expect(workerDeploymentOptions(config.temporal.worker.versioning)).toEqual({
      deployment: { deploymentName: 'onboarding-eu', buildId: '1.4.0-3f9c2ab' },
      options: {
        useWorkerVersioning: true,
        version: { deploymentName: 'onboarding-eu', buildId: '1.4.0-3f9c2ab' },
        defaultVersioningBehavior: 'PINNED',
      },
    });
  });

  it('derives the build id from the package version and the git revision when none is configured', () => {
    const versioning = workerDeploymentOptions(
      loadConfig({ TEMPORAL_WORKER_VERSIONING: 'on' }).temporal.worker.versioning,
    );
    expect(versioning?.deployment.buildId).toMatch(
      new RegExp(`^${version.replace(/\./g, '\\.')}-[0-9a-f]{12}(-dirty)?$`),
    );
  });

  it('refuses values Temporal or the visibility query could not take', () => {
    for (const env of [
      { TEMPORAL_WORKER_VERSIONING: 'yes' },
      { TEMPORAL_DEPLOYMENT_NAME: 'onboarding.eu' },
      { TEMPORAL_DEPLOYMENT_NAME: "o'neil" },
      { TEMPORAL_BUILD_ID: 'a:b' },
      { TEMPORAL_BUILD_ID: "1.0'" },
    ]) {
      expect(() => loadConfig(env)).toThrow(ConfigError);
    }
  });
});
