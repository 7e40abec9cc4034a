/**
 * `npm run rollout -- <command>`: Worker Versioning steps for a deploy (docs/deploys.md), over the configured
 * Temporal connection. The deployment is TEMPORAL_DEPLOYMENT_NAME unless --deployment says otherwise.
 *
 *   status                    current and ramping builds, every build's state and its open pinned runs
 *   current <build> [--wait]  new runs start on <build> (--wait: until its workers poll, up to 60 s)
 *   ramp <build> <percent>    <percent> % of new runs start on <build>, the rest on the current build
 *   ramp off                  end the ramp
 *   drained <build>           exit 0 when <build> may be stopped: not current, not ramping, no open pinned run;
 *                             exit 1 otherwise, naming some of the runs still on it
 *
 * Exit 2: a bad command or a refused step (the server's reason is printed).
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { connectTemporalClient } from '../composition/client';
import { loadConfig } from '../config';
import {
  describeDeployment,
  openPinnedRuns,
  setCurrentBuild,
  setRampingBuild,
  waitForBuild,
} from './worker-deployment';

const EXIT_NOT_DRAINED = 1;
const EXIT_REFUSED = 2;

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

const buildId = z.string().regex(/^[A-Za-z0-9_.+-]{1,255}$/, 'a build id: letters, digits, _ . + and -');
const commandSchema = z.union([
  z.tuple([z.literal('status')]),
  z.tuple([z.literal('current'), buildId]),
  z.tuple([z.literal('ramp'), z.literal('off')]),
  z.tuple([z.literal('ramp'), buildId, z.coerce.number().min(0).max(100)]),
  z.tuple([z.literal('drained'), buildId]),
]);

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { deployment: { type: 'string' }, wait: { type: 'boolean', default: false } },
  });
  const parsed = commandSchema.safeParse(positionals);
  if (!parsed.success) {
    process.stderr.write(
      'usage: npm run rollout -- status | current <build> [--wait] | ramp <build> <percent> | ramp off | drained <build>\n',
    );
    return EXIT_REFUSED;
  }
  const command = parsed.data;
  if (existsSync('.env')) process.loadEnvFile('.env');
  const config = loadConfig();
  const deploymentName = values.deployment ?? config.temporal.worker.versioning.deploymentName;
  const temporal = await connectTemporalClient(config);
  const { client } = temporal;
  try {
    switch (command[0]) {
      case 'status': {
        const status = await describeDeployment(client, deploymentName);
        if (!status) {
          say(`deployment ${deploymentName}: none yet (no versioned worker of it has polled)`);
          return 0;
        }
        say(`deployment ${deploymentName}`);
        say(`  current: ${status.currentBuildId ?? '(unversioned workers)'}`);
        if (status.ramping)
          say(`  ramping: ${status.ramping.buildId ?? '(unversioned)'} at ${status.ramping.percentage} %`);
        for (const build of status.builds) {
          const open = await openPinnedRuns(client, { deploymentName, buildId: build.buildId }, 0);
          say(
            `  build ${build.buildId}: ${build.status}${build.drainage ? ` (server: ${build.drainage})` : ''}, ${open.count} open pinned run(s)`,
          );
        }
        return 0;
      }
      case 'current': {
        const deployment = { deploymentName, buildId: command[1] };
        if (values.wait) await waitForBuild(client, deployment, config.temporal.taskQueue, 60_000);
        await setCurrentBuild(client, deployment);
        say(`deployment ${deploymentName}: new runs now start on build ${command[1]}`);
        return 0;
      }
      case 'ramp': {
        if (command.length === 3) {
          const [, target, percentage] = command;
          await setRampingBuild(client, deploymentName, { buildId: target, percentage });
          say(`deployment ${deploymentName}: ${percentage} % of new runs start on build ${target}`);
        } else {
          await setRampingBuild(client, deploymentName, undefined);
          say(`deployment ${deploymentName}: no ramp; new runs start on the current build`);
        }
        return 0;
      }
      case 'drained': {
        const deployment = { deploymentName, buildId: command[1] };
        const status = await describeDeployment(client, deploymentName);
        const open = await openPinnedRuns(client, deployment);
        const routed =
          status?.currentBuildId === deployment.buildId
            ? 'current'
            : status?.ramping?.buildId === deployment.buildId
              ? 'ramping'
              : undefined;
        if (routed) {
          say(`build ${deployment.buildId} is ${routed}: new runs still start on it; not drained`);
          return EXIT_NOT_DRAINED;
        }
        if (open.count > 0) {
          say(
            `build ${deployment.buildId}: ${open.count} open pinned run(s); keep its workers running. Some:`,
          );
          for (const run of open.sample) say(`  ${run.workflowId} (run ${run.runId})`);
          return EXIT_NOT_DRAINED;
        }
        say(`build ${deployment.buildId}: drained (no open pinned runs); its workers may be stopped`);
        return 0;
      }
    }
  } finally {
    await temporal.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`[rollout] refused: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(EXIT_REFUSED);
  },
);
