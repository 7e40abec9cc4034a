/**
 * The review queue: running runs waiting in `manual_review` or parked in `needs_attention`, oldest first.
 * Visibility lists newest first and cannot sort, so the queue pages through up to QUEUE_SCAN_LIMIT runs per
 * stage with the list route's own query code, sorts them, and reads the live state (reasons, escalation) of
 * the QUEUE_SHOWN_LIMIT oldest. Past the scan limit the page says so: narrow the filters to see older runs.
 */
import type { OnboardingLister } from '../list-onboardings';
import type { OnboardingService } from '../onboarding-service';
import type { ListOnboardingsQuery, OnboardingListItem, OnboardingStatus } from '../schemas';
import { ApiError } from '../errors';

export const QUEUE_STAGES = ['manual_review', 'needs_attention'] as const;
export type QueueStage = (typeof QUEUE_STAGES)[number];

/** Runs read from visibility per stage (100 a page). */
export const QUEUE_SCAN_LIMIT = 1_000;
/** Runs shown, each with its live state read. */
export const QUEUE_SHOWN_LIMIT = 100;
const STATE_READS_AT_ONCE = 8;
const PAGE_SIZE = '100';

export type QueueFilter = Pick<
  ListOnboardingsQuery,
  'customerIdPrefix' | 'startedAfter' | 'startedBefore'
> & { stage?: QueueStage };

export interface QueueEntry {
  run: OnboardingListItem;
  /** The live state; undefined when the run did not answer (no worker): the row then shows what visibility has. */
  state?: OnboardingStatus;
}

export interface Queue {
  entries: QueueEntry[];
  /** Waiting runs found (up to the scan limit per stage). */
  found: number;
  /** True when a stage had more runs than the scan limit: older ones may be missing. */
  truncated: boolean;
}

export class ReviewQueue {
  constructor(
    private readonly lister: OnboardingLister,
    private readonly service: OnboardingService,
  ) {}

  async read(filter: QueueFilter): Promise<Queue> {
    const stages = filter.stage ? [filter.stage] : QUEUE_STAGES;
    const scans = await Promise.all(stages.map((stage) => this.scan({ ...filter, stage })));
    const waiting = scans
      .flatMap((scan) => scan.runs)
      .sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.workflowId.localeCompare(b.workflowId));
    const shown = waiting.slice(0, QUEUE_SHOWN_LIMIT);
    const entries = await mapLimited(shown, STATE_READS_AT_ONCE, async (run) => ({
      run,
      state: await this.liveState(run),
    }));
    return { entries, found: waiting.length, truncated: scans.some((scan) => scan.truncated) };
  }

  private async scan(filter: QueueFilter & { stage: QueueStage }) {
    const runs: OnboardingListItem[] = [];
    let nextPageToken: string | undefined;
    let scanned = 0;
    do {
      const page = await this.lister.page({ ...filter, pageSize: PAGE_SIZE, nextPageToken });
      scanned += page.items.length;
      runs.push(...page.items.filter((item) => item.status === 'RUNNING' && item.stage === filter.stage));
      nextPageToken = page.nextPageToken ?? undefined;
    } while (nextPageToken && scanned < QUEUE_SCAN_LIMIT);
    return { runs, truncated: nextPageToken !== undefined };
  }

  private async liveState(run: OnboardingListItem): Promise<OnboardingStatus | undefined> {
    try {
      const state = await this.service.status(run.customerId);
      return state.runId === run.runId && !state.partial ? state : undefined;
    } catch (error) {
      if (error instanceof ApiError) return undefined;
      throw error;
    }
  }
}

async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  map: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < items.length; index = next++) results[index] = await map(items[index]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
