/**
 * The case page's reading of a run's history, on committed histories (test/histories) of earlier workflow
 * versions: the registration and the KYC summary come out of encrypted payloads through the codec, the
 * timeline names stages, webhooks, activities and callbacks, a continued run points at the run before it, and
 * a history the keys cannot open shows as unreadable instead of failing.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadDataConverter } from '@temporalio/common/lib/internal-non-workflow';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { summarizeHistory } from '../../api/console/run-history';
import { dataConverterFromKeys } from '../../codec/data-converter';
import { TEST_KEY_B, testKeyRing } from '../helpers/codec-keys';
import { HISTORIES_DIR } from '../helpers/histories';

function events(name: string) {
  const json: unknown = JSON.parse(readFileSync(path.join(HISTORIES_DIR, `${name}.json`), 'utf8'));
  return historyFromJSON(json).events ?? [];
}

const decrypting = loadDataConverter(dataConverterFromKeys(testKeyRing()));

describe('a run history as the case page reads it', () => {
  it('decrypts the registration and the KYC summary, and lists the run in order', async () => {
    const summary = await summarizeHistory(events('encrypted-approved'), decrypting);
    expect(summary.inputReadable).toBe(true);
    expect(summary.registration).toMatchObject({
      firstName: expect.any(String),
      lastName: expect.any(String),
    });
    expect(summary.kyc).toMatchObject({ kycId: expect.any(String), status: 'Approved' });
    const texts = summary.timeline.map((entry) => entry.text);
    expect(texts[0]).toBe('run started');
    expect(texts).toEqual(
      expect.arrayContaining([
        'stage awaiting_customer',
        'stage storing_documents',
        'getIdentification done',
      ]),
    );
    expect(texts.some((text) => text.startsWith('webhook '))).toBe(true);
    expect(texts.some((text) => text.startsWith('callback onboarding.completed'))).toBe(true);
    expect(texts[texts.length - 1]).toBe('run completed');
    const times = summary.timeline.map((entry) => entry.at.getTime());
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('reads a run waiting in manual review, and a continued run names the run before it', async () => {
    const review = await summarizeHistory(events('manual-review'), decrypting);
    expect(review.timeline.map((entry) => entry.text)).toContain('stage manual_review');
    expect(review.kyc?.rules.length).toBeGreaterThan(0);

    // The continuation holds no KYC fetch of its own: the case reader goes back to the run it names.
    const continued = await summarizeHistory(events('continued-as-new-in-review'), decrypting);
    expect(continued.continuedFromRunId).toBe('0f40c44a-2d51-4fc9-9dc5-571db525d3e8');
    expect(continued.timeline[0].text).toBe('run continued from an earlier run');
    expect(continued.kyc).toBeUndefined();
    const first = await summarizeHistory(events('continued-as-new-first-run'), decrypting);
    expect(first.continuedFromRunId).toBeUndefined();
    expect(first.timeline[first.timeline.length - 1].text).toBe('run continued as new');
  });

  it('shows an input the keys cannot open as unreadable, without failing', async () => {
    const otherKeyOnly = loadDataConverter(dataConverterFromKeys(testKeyRing([TEST_KEY_B])));
    const summary = await summarizeHistory(events('encrypted-approved'), otherKeyOnly);
    expect(summary.inputReadable).toBe(false);
    expect(summary.registration).toBeUndefined();
    expect(summary.kyc).toBeUndefined();
    expect(summary.timeline[0].text).toBe('run started');
  });
});
