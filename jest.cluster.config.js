/**
 * The topology test (`npm run test:cluster`): the production topology of `npm run cluster` (PostgreSQL, the
 * Temporal server, two workers, two APIs), driven and broken on purpose. Its own config: `npm test` does not run
 * it (test/cluster is ignored there), and it needs none of the dev-server harness.
 */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  testMatch: ['<rootDir>/test/cluster/**/*.test.ts'],
  setupFiles: ['<rootDir>/test/harness/quiet-runtime.ts'],
  maxWorkers: 1,
  testTimeout: 30 * 60_000,
  // Every process the test started is stopped in afterAll; a keep-alive socket of an HTTP client must not hold
  // CI for minutes after the verdict.
  forceExit: true,
};
