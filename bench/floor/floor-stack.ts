/**
 * The baseline stack: a second, fresh dev server of the same kind and the floor worker process. The benchmark
 * process is the client, as the API is for the service.
 */
import type { Client } from '@temporalio/client';
import { startDevServer, type DevServer } from '../infra/dev-server';
import type { RunContext } from '../infra/run-context';
import { printed, startServiceProcess, type ServiceProcess } from '../infra/service-process';
import type { Scope } from '../infra/teardown';
import { ownLoopDelay } from '../measure/own-loop-delay';
import type { MeteredProcess } from '../measure/resource-meter';
import { say } from '../report/progress';

export const FLOOR_TASK_QUEUE = 'bench-floor';

export interface FloorStack {
  devServer: DevServer;
  worker: ServiceProcess;
  client: Client;
  processes(): MeteredProcess[];
}

export async function startFloorStack(scope: Scope, context: RunContext): Promise<FloorStack> {
  if (!context.floorBundlePath) throw new Error('the floor workflow bundle was not built');
  const began = Date.now();
  const devServer = await startDevServer(scope);
  const worker = await startServiceProcess(scope, {
    name: 'floor-worker',
    entry: 'bench/floor/worker-main.ts',
    env: {
      NODE_ENV: 'production',
      // The service's allocator setting (Dockerfile), so the floor is measured like for like.
      MALLOC_ARENA_MAX: '2',
      TEMPORAL_ADDRESS: devServer.address,
      TEMPORAL_NAMESPACE: devServer.namespace,
      TEMPORAL_TASK_QUEUE: FLOOR_TASK_QUEUE,
      WORKFLOW_BUNDLE_PATH: context.floorBundlePath,
      WORKER_SHUTDOWN_GRACE_MS: '2000',
      ...(context.workerNodeOptions ? { NODE_OPTIONS: context.workerNodeOptions } : {}),
    },
    logDir: context.logDir,
    ready: printed(/polling/),
  });
  say(`  floor stack up in ${((Date.now() - began) / 1000).toFixed(1)} s (fresh dev server, floor worker)`);
  return {
    devServer,
    worker,
    client: devServer.client,
    processes: () => [
      worker,
      { name: 'temporal', pid: devServer.pid },
      { name: 'bench', pid: process.pid, loopDelay: ownLoopDelay },
    ],
  };
}
