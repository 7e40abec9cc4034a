/** Pre-builds the workflow bundle so production workers start without bundling (`npm run build`). */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOW_INTERCEPTOR_MODULES } from '../observability/tracing';

async function main(): Promise<void> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    // Traces runs whose start was traced; others go straight through (observability/tracing-workflow-interceptors.ts).
    workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
  });
  const target = path.resolve(__dirname, '..', 'dist', 'workflow-bundle.js');
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, code);
  process.stderr.write(`[build] workflow bundle: ${target} (${Math.round(code.length / 1024)} KiB)\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`[build] failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
