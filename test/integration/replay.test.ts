/**
 * Replays the committed histories of real runs (test/histories, recorded by the workflow tests with
 * RECORD_HISTORIES=1) against the current workflow code. A change that would break running onboardings
 * fails here; the negative control proves the check can fail.
 */
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { harness } from '../harness/env';
import { loadRecordedHistories } from '../helpers/histories';

jest.setTimeout(60_000);

const histories = loadRecordedHistories();

describe('replay of recorded histories', () => {
  it('has recorded histories to replay', () => {
    expect(histories.map((entry) => entry.name)).toEqual(
      expect.arrayContaining(['approved', 'rejected', 'manual-review', 'expired', 'webhooks-lost', 'duplicate-webhooks']),
    );
  });

  it.each(histories.map((entry) => [entry.name, entry] as const))('replays %s deterministically', async (_name, entry) => {
    await expect(
      Worker.runReplayHistory({ workflowBundle: { codePath: harness().bundlePath } }, entry.history),
    ).resolves.toBeUndefined();
  });

  it('fails replay for a deliberately changed workflow (negative control)', async () => {
    const { code } = await bundleWorkflowCode({
      workflowsPath: require.resolve('../fixtures/nondeterministic-workflows'),
      logger: { info() {}, warn() {}, error() {}, debug() {}, trace() {}, log() {} },
    });
    for (const entry of histories) {
      await expect(Worker.runReplayHistory({ workflowBundle: { code } }, entry.history)).rejects.toThrow(/[Nn]ondetermin/);
    }
  });
});
