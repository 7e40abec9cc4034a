/**
 * The topology test (`npm run test:cluster`): the production topology of `npm run cluster` (PostgreSQL, the
 * Temporal server, two workers, two APIs), driven and broken on purpose, plus the suites that need its binaries. Its own config: `npm test` does not run
 * it (test/cluster is ignored there), and it needs none of the dev-server harness.
 */
// Suites here need the binaries `npm run setup:cluster` builds (run before jest by `npm run test:cluster`): a
// missing one fails the run instead of skipping (test/deploy/support/needs-cluster-tools.ts).
process.env.REQUIRE_CLUSTER_TOOLS = '1';

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  testMatch: [
    '<rootDir>/test/cluster/**/*.test.ts',
    // The compose jobs run for real (temporal-sql-tool on PostgreSQL, curl's SigV4 on SeaweedFS), and the
    // document store contract on a real S3 server.
    '<rootDir>/test/deploy/compose-schema-job.test.ts',
    '<rootDir>/test/deploy/compose-bucket-job.test.ts',
    '<rootDir>/test/storage/*.s3-test.ts',
  ],
  setupFiles: ['<rootDir>/test/harness/quiet-runtime.ts', '<rootDir>/test/harness/closed-channel-guard.ts'],
  maxWorkers: 1,
  testTimeout: 30 * 60_000,
  // Every process the test started is stopped in afterAll; a keep-alive socket of an HTTP client must not hold
  // CI for minutes after the verdict.
  forceExit: true,
};
