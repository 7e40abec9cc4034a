/**
 * GET /v1/onboardings: one page of runs from Temporal's visibility store (list, never describe or query a run),
 * as ids, stages, outcomes and times. The memo is decoded through the client's data converter for the one field
 * the list shows from it (why a parked run stopped).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { executionInfoFromRaw } from '@temporalio/client/lib/helpers';
import { CustomerIdKey, RUN_MEMO_KEYS } from '../contract';
import { ApiError } from './errors';
import { listQuery } from './list-query';
import { compact, memoString, outcomeOf, recordedStage, workflowStatus } from './run-view';
import {
  DEFAULT_LIST_PAGE_SIZE,
  type ListOnboardingsQuery,
  type OnboardingList,
  type OnboardingListItem,
} from './schemas';
import { rethrowIfUnavailable } from './temporal-errors';

const WORKFLOW_ID_PREFIX = 'onboarding-';

export interface OnboardingListerOptions {
  client: Client;
  /** Deadline of the visibility call; past it the API answers 503. */
  callTimeoutMs: number;
}

const CHECK_BYTES = 8;

/** Binds Temporal's token to the filters it was issued for: a token is only good for the same query. */
function tokenCheck(query: string, raw: Uint8Array): Buffer {
  return createHash('sha256').update(query).update('\0').update(raw).digest().subarray(0, CHECK_BYTES);
}

/** Temporal's page token with its check in front, base64url; null when Temporal says this was the last page. */
function toToken(query: string, raw: Uint8Array | null | undefined): string | null {
  if (!raw || raw.length === 0) return null;
  return Buffer.concat([tokenCheck(query, raw), raw]).toString('base64url');
}

/**
 * Temporal's token out of ours, or 400: Temporal answers a token it cannot read with a retryable error (the
 * client would retry it into a 503), so a token that is not one we issued for this query never reaches it.
 */
function fromToken(query: string, token: string): Buffer {
  const bytes = Buffer.from(token, 'base64url');
  const raw = bytes.subarray(CHECK_BYTES);
  if (raw.length === 0 || !timingSafeEqual(bytes.subarray(0, CHECK_BYTES), tokenCheck(query, raw))) {
    throw new ApiError(400, 'validation_failed', 'The request query is invalid', [
      { path: 'nextPageToken', message: 'not a nextPageToken this API issued for these filters' },
    ]);
  }
  return raw;
}

export class OnboardingLister {
  constructor(private readonly options: OnboardingListerOptions) {}

  async page(request: ListOnboardingsQuery): Promise<OnboardingList> {
    const { client, callTimeoutMs } = this.options;
    const query = listQuery(request);
    const nextPageToken = request.nextPageToken ? fromToken(query, request.nextPageToken) : undefined;
    let response;
    try {
      response = await client.withDeadline(Date.now() + callTimeoutMs, () =>
        client.workflowService.listWorkflowExecutions({
          namespace: client.options.namespace,
          query,
          pageSize: request.pageSize ? Number(request.pageSize) : DEFAULT_LIST_PAGE_SIZE,
          nextPageToken,
        }),
      );
    } catch (error) {
      rethrowIfUnavailable(error);
    }
    const items = await Promise.all(
      response.executions.map(async (raw) => {
        const info = await executionInfoFromRaw(
          raw,
          client.options.loadedDataConverter,
          raw,
          client.options.namespace,
        );
        return itemOf(info);
      }),
    );
    return { items, nextPageToken: toToken(query, response.nextPageToken) };
  }
}

type ListedRun = Awaited<ReturnType<typeof executionInfoFromRaw<unknown>>>;

function itemOf(info: ListedRun): OnboardingListItem {
  const customerId =
    info.typedSearchAttributes.get(CustomerIdKey) ??
    (info.workflowId.startsWith(WORKFLOW_ID_PREFIX)
      ? info.workflowId.slice(WORKFLOW_ID_PREFIX.length)
      : info.workflowId);
  return compact({
    customerId,
    workflowId: info.workflowId,
    runId: info.runId,
    status: workflowStatus(info),
    stage: recordedStage(info),
    outcome: outcomeOf(info),
    startedAt: info.startTime.toISOString(),
    closedAt: info.closeTime?.toISOString(),
    attentionReason: memoString(info, RUN_MEMO_KEYS.attentionReason),
  });
}
