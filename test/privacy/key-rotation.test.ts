/**
 * Key rotation on a live run: an onboarding starts under key A; a worker whose ring lacks A fails loudly (the
 * workflow task fails naming the key, nothing is decided on garbage); a worker with {A, B}, B active, finishes
 * the run. Old payloads stay under A, new ones are written under B, documents stored after the rotation too.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { Client } from '@temporalio/client';
import { dataConverterFromKeys } from '../../codec/data-converter';
import { ondatoWebhookSignal } from '../../contract';
import { harness } from '../harness/env';
import { captureRuntimeLogs } from '../harness/runtime-log';
import { codecKeysEnv, TEST_KEY_A, TEST_KEY_B, testKeyRing } from '../helpers/codec-keys';
import { recordHistoryIfAsked } from '../helpers/histories';
import { createOnboardingTestEnv, type OnboardingTestEnv } from '../helpers/onboarding-env';
import { waitFor } from '../helpers/wait-for';
import { cliShow, keyIdOf, payloadsIn, type JsonPayload } from './support';

jest.setTimeout(90_000);

async function sha256(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

interface JsonEvent {
  eventType: string;
  workflowTaskFailedEventAttributes?: { failure?: { message?: string } };
  [attributes: string]: unknown;
}

const eventsOf = async (workflowId: string) =>
  ((await cliShow(workflowId)).history as { events: JsonEvent[] }).events;

function keyIdsOf(events: JsonEvent[], eventType: string): string[] {
  return events
    .filter((event) => event.eventType === eventType)
    .flatMap((event) => payloadsIn(event).map((payload: JsonPayload) => keyIdOf(payload)));
}

describe('codec key rotation on a running onboarding', () => {
  let env: OnboardingTestEnv;

  beforeAll(async () => {
    env = await createOnboardingTestEnv();
  });
  afterAll(async () => {
    await env?.close();
  });

  it('fails loudly without the key, then completes after rotating to key B', async () => {
    const { link, handle } = await env.start({ timeouts: { pollIntervalMs: 2_000 } });
    expect(link.stage).toBe('awaiting_customer');

    // A worker whose ring lacks key A cannot read the run's history: its workflow task fails, naming the key.
    await env.stopWorker();
    const logs = captureRuntimeLogs();
    try {
      await env.startWorker({ CODEC_KEYS: codecKeysEnv(TEST_KEY_B) });
      // One signal (a stray webhook the run will ignore) gives that worker a workflow task.
      await handle.signal(ondatoWebhookSignal, {
        deliveryId: 'stray-1',
        type: 'IdentityVerification.StatusChanged',
        idvId: 'another-idv',
      });
      const failed = await waitFor(
        async () =>
          (await eventsOf(handle.workflowId)).find(
            (event) => event.eventType === 'EVENT_TYPE_WORKFLOW_TASK_FAILED',
          ),
        { timeoutMs: 20_000, what: 'the workflow task to fail' },
      );
      expect(failed.workflowTaskFailedEventAttributes?.failure?.message).toMatch(
        /encrypted with key "test-a", which is not in the key ring \(known: "test-b"\)/,
      );
      await waitFor(async () =>
        logs.text().includes('Failed to process Workflow Activation') ? true : undefined,
      );
      expect(logs.text()).toContain('key \\"test-a\\"');
      await env.stopWorker();
    } finally {
      logs.stop();
    }
    expect((await handle.describe()).status.name).toBe('RUNNING');

    // Rotation: both keys, B active. The run picks up where it was and completes.
    await env.startWorker({
      CODEC_KEYS: codecKeysEnv(TEST_KEY_A, TEST_KEY_B),
      CODEC_ACTIVE_KEY_ID: TEST_KEY_B.id,
    });
    await env.control.complete(link.idvId as string, { outcome: 'approved' });
    // (The server retries the failed workflow task after a 10 s backoff.)
    const record = await handle.result();
    expect(record.outcome).toBe('approved');

    const events = await eventsOf(handle.workflowId);
    // The input and the API's start-token memo, both written before the rotation.
    expect(new Set(keyIdsOf(events, 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED'))).toEqual(
      new Set([TEST_KEY_A.id]),
    );
    expect(keyIdsOf(events, 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED')).toEqual([TEST_KEY_B.id]);
    // createVerification ran before the rotation, the document copies after it.
    const activityResults = keyIdsOf(events, 'EVENT_TYPE_ACTIVITY_TASK_COMPLETED');
    expect(activityResults[0]).toBe(TEST_KEY_A.id);
    expect(activityResults.at(-1)).toBe(TEST_KEY_B.id);
    expect(new Set(payloadsIn(events).map(keyIdOf))).toEqual(new Set([TEST_KEY_A.id, TEST_KEY_B.id]));

    // Documents stored after the rotation are under B, and read back intact.
    for (const document of record.documents) {
      const header = readFileSync(path.join(env.documentsDir, document.key)).subarray(0, 32);
      expect(header.includes(Buffer.from(TEST_KEY_B.id))).toBe(true);
      expect(await sha256(await env.documents.get(document.key))).toBe(document.sha256);
    }

    // A client that was not given key B cannot read the result, and says which key it lacks.
    const withoutB = new Client({
      connection: env.client.connection,
      namespace: harness().namespace,
      dataConverter: dataConverterFromKeys(testKeyRing([TEST_KEY_A])),
    });
    await expect(withoutB.workflow.getHandle(handle.workflowId).result()).rejects.toThrow(/key "test-b"/);

    await recordHistoryIfAsked('encrypted-key-rotation', handle);
  });
});
