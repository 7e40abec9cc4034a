/**
 * Workflow bundles, built once per benchmark run (about 1.5 s each) and handed to the worker processes through
 * WORKFLOW_BUNDLE_PATH, the way a production worker gets its pre-built bundle.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

const QUIET = { info() {}, warn() {}, error: console.error, debug() {}, trace() {}, log() {} };
const built = new Map<string, Promise<string>>();

/** The onboarding workflows (workflows/index.ts). */
export function serviceBundle(dir: string): Promise<string> {
  return bundleOnce(require.resolve('../../workflows'), path.join(dir, 'onboarding-bundle.js'));
}

/** The floor workflow the service is compared with (bench/floor/workflows.ts). */
export function floorBundle(dir: string): Promise<string> {
  return bundleOnce(require.resolve('../floor/workflows'), path.join(dir, 'floor-bundle.js'));
}

function bundleOnce(workflowsPath: string, target: string): Promise<string> {
  let bundle = built.get(target);
  if (!bundle) {
    bundle = bundleWorkflowCode({ workflowsPath, logger: QUIET }).then(({ code }) => {
      writeFileSync(target, code);
      return target;
    });
    built.set(target, bundle);
  }
  return bundle;
}
