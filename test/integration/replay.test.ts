/**
 * Replays the committed histories of real runs (test/histories, recorded by the workflow tests with
 * RECORD_HISTORIES=1) against the current workflow code. A change that would break running onboardings
 * fails here; the negative control proves the check can fail.
 *
 * The older histories were recorded before the payload codec and are plain; the `encrypted-*` ones carry
 * ciphertext under the fixed test keys (one of them under two keys, across a rotation). All replay through the
 * codec's data converter: it decrypts by the key id in each payload and passes plain payloads through.
 */
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { isEncryptedPayload } from '../../codec/aes-gcm-codec';
import { harness } from '../harness/env';
import { testDataConverter } from '../helpers/codec-keys';
import { loadRecordedHistories } from '../helpers/histories';

jest.setTimeout(60_000);

const histories = loadRecordedHistories();
const dataConverter = testDataConverter();

function workflowInputOf(entry: (typeof histories)[number]) {
  const started = entry.history.events?.[0]?.workflowExecutionStartedEventAttributes;
  return started?.input?.payloads?.[0] ?? {};
}

describe('replay of recorded histories', () => {
  it('has recorded histories to replay', () => {
    expect(histories.map((entry) => entry.name)).toEqual(
      expect.arrayContaining([
        'approved',
        'rejected',
        'manual-review',
        'expired',
        'webhooks-lost',
        'duplicate-webhooks',
        'encrypted-approved',
        'encrypted-key-rotation',
        // recorded with parking, the KYC id in the memo and the failure callback (their patch markers)
        'parked-then-resumed-by-ops',
        'parked-twice-timer-then-signal',
        // recorded with the id checks, extra-IDV handling and continue-as-new (their patch markers)
        'id-mismatch-parked-then-resumed',
        'extra-verification-redacted',
        'continued-as-new-first-run',
        'continued-as-new-in-review',
        // recorded with reminders, fresh links and the hand-over to aftercare (their patch markers)
        'reminders-then-approved',
        'relinked-then-approved',
        'reverification-signals-aftercare',
        // recorded before the lean history (a marker per patch, an upsert per change, every Ondato fetch)
        'v3-approved',
        'v3-awaiting-then-approved',
        'v3-manual-review',
        'v3-webhooks-lost',
        'v3-reminders-then-approved',
        'v3-relinked-then-approved',
        // recorded before those patches: they replay along the old paths
        'v2-approved',
        'v2-manual-review',
        'v2-webhooks-lost',
        // recorded before the `wake-on-webhook-during-check` patch, and before the codec: plain payloads
        'v1-approved',
        'v1-awaiting-then-approved',
        'v1-duplicate-webhooks',
        // the aftercare and erasure workflows (recorded by test/privacy/erasure.test.ts)
        'aftercare-reverification-notice',
        'aftercare-legal-hold-past-retention',
        'erasure-on-request',
        'erasure-by-retention',
      ]),
    );
    // Recordings since the codec are encrypted, the v1 ones plain, so both decoding paths are replayed.
    for (const entry of histories) {
      expect({ name: entry.name, encrypted: isEncryptedPayload(workflowInputOf(entry)) }).toEqual({
        name: entry.name,
        encrypted: !entry.name.startsWith('v1-'),
      });
    }
  });

  it.each(histories.map((entry) => [entry.name, entry] as const))(
    'replays %s deterministically',
    async (_name, entry) => {
      await expect(
        Worker.runReplayHistory(
          { workflowBundle: { codePath: harness().bundlePath }, dataConverter },
          entry.history,
        ),
      ).resolves.toBeUndefined();
    },
  );

  it('fails replay for a deliberately changed workflow (negative control)', async () => {
    const { code } = await bundleWorkflowCode({
      workflowsPath: require.resolve('../fixtures/nondeterministic-workflows'),
      logger: { info() {}, warn() {}, error() {}, debug() {}, trace() {}, log() {} },
    });
    for (const entry of histories) {
      await expect(
        Worker.runReplayHistory({ workflowBundle: { code }, dataConverter }, entry.history),
      ).rejects.toThrow(/[Nn]ondetermin/);
    }
  });
});
