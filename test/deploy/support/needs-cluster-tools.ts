/**
 * Suites that need a binary `npm run setup:cluster` builds (minutes, once per machine). `npm test` leaves them
 * out; `npm run test:cluster` provisions the tools first and sets REQUIRE_CLUSTER_TOOLS, so a missing binary
 * there is a failure, never a silent skip.
 */
export function describeIfTools(
  what: string,
  missing: string | undefined,
): typeof describe | typeof describe.skip {
  if (!missing) return describe;
  if (process.env.REQUIRE_CLUSTER_TOOLS === '1') {
    throw new Error(`${what} cannot run: ${missing} (npm run setup:cluster builds it)`);
  }
  process.stderr.write(
    `[deploy] ${what} skipped: ${missing} (npm run setup:cluster builds it once per machine)\n`,
  );
  return describe.skip;
}
