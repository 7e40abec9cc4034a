/** One dev server and one workflow bundle for the whole run (see test/harness). */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // The topology test and the suites that need the cluster's binaries run on their own (`npm run test:cluster`,
  // jest.cluster.config.js).
  testPathIgnorePatterns: [
    '/node_modules/',
    '<rootDir>/test/cluster/',
    '<rootDir>/test/deploy/compose-schema-job.test.ts',
    '<rootDir>/test/deploy/compose-bucket-job.test.ts',
  ],
  globalSetup: '<rootDir>/test/harness/global-setup.ts',
  globalTeardown: '<rootDir>/test/harness/global-teardown.ts',
  setupFiles: ['<rootDir>/test/harness/quiet-runtime.ts', '<rootDir>/test/harness/closed-channel-guard.ts'],
  maxWorkers: 2,
  testTimeout: 60_000,
  // Workers and connections are closed by each test; this only guards against a hang at the very end.
  forceExit: false,
};
