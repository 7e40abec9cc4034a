/** How the global setup hands the shared dev server and workflow bundle to test files. */
export const HARNESS_ENV = {
  address: 'ONBOARDING_TEST_TEMPORAL_ADDRESS',
  namespace: 'ONBOARDING_TEST_TEMPORAL_NAMESPACE',
  bundlePath: 'ONBOARDING_TEST_WORKFLOW_BUNDLE',
  cliPath: 'ONBOARDING_TEST_TEMPORAL_CLI',
} as const;

function required(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(
      `${name} is not set: run the tests through jest so the global setup starts the dev server`,
    );
  return value;
}

export function harness(): { address: string; namespace: string; bundlePath: string; cliPath: string } {
  return {
    address: required(HARNESS_ENV.address),
    namespace: required(HARNESS_ENV.namespace),
    bundlePath: required(HARNESS_ENV.bundlePath),
    cliPath: required(HARNESS_ENV.cliPath),
  };
}
