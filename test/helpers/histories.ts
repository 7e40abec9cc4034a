/**
 * Recorded histories for the replay test. `RECORD_HISTORIES=1 npx jest test/integration/onboarding` rewrites
 * test/histories/*.json from fresh runs; normal runs only read them.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import type { History } from '@temporalio/common/lib/proto-utils';
import { harness } from '../harness/env';

export const HISTORIES_DIR = path.resolve(__dirname, '..', 'histories');

export async function recordHistoryIfAsked(name: string, handle: WorkflowHandle): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  // The CLI writes the same proto JSON as the UI's "download history" (protobufjs's own JSON export trips over
  // jest's module isolation).
  const { address, namespace, cliPath } = harness();
  const json = execFileSync(
    cliPath,
    [
      'workflow',
      'show',
      '--workflow-id',
      handle.workflowId,
      '--address',
      address,
      '--namespace',
      namespace,
      '--output',
      'json',
    ],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  writeFileSync(path.join(HISTORIES_DIR, `${name}.json`), json);
}

export function loadRecordedHistories(): Array<{ name: string; history: History }> {
  return readdirSync(HISTORIES_DIR)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => ({
      name: file.replace(/\.json$/, ''),
      history: historyFromJSON(JSON.parse(readFileSync(path.join(HISTORIES_DIR, file), 'utf8'))),
    }));
}
