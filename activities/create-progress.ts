/**
 * What the create call records in its heartbeat across attempts (Ondato has no idempotency key for creating a
 * verification): the ids earlier attempts created, and whether an attempt was waiting for Ondato's answer when
 * it ended. A retried attempt reads it from the activity info's heartbeat details.
 */
import { Context } from '@temporalio/activity';

/** What the create call leaves in its heartbeat, so a retried attempt knows what the earlier ones did. */
export interface CreateProgress {
  /** IDVs earlier attempts created, oldest first. */
  createdIdvIds: string[];
  /** True between sending the create request and recording Ondato's answer. */
  awaitingAnswer: boolean;
  /** Attempts that died (or timed out) in that gap: each may have left an IDV nobody can name. */
  unansweredCreates: number;
}

export function readCreateProgress(details: unknown): CreateProgress {
  const empty: CreateProgress = { createdIdvIds: [], awaitingAnswer: false, unansweredCreates: 0 };
  if (typeof details !== 'object' || details === null) return empty;
  const { createdIdvIds, awaitingAnswer, unansweredCreates } = details as Partial<CreateProgress>;
  return {
    createdIdvIds: Array.isArray(createdIdvIds)
      ? createdIdvIds.filter((id): id is string => typeof id === 'string')
      : [],
    awaitingAnswer: awaitingAnswer === true,
    unansweredCreates: typeof unansweredCreates === 'number' ? unansweredCreates : 0,
  };
}

/**
 * Keeps the activity's latest progress flowing to Temporal while a call is slow, so a heartbeat timeout means
 * the worker died, and the progress recorded after Ondato's answer leaves the SDK's heartbeat throttle.
 */
export function keepHeartbeating(progress: () => CreateProgress): () => void {
  const context = Context.current();
  const everyMs = Math.max(200, Math.floor((context.info.heartbeatTimeoutMs ?? 30_000) / 3));
  const timer = setInterval(() => context.heartbeat(progress()), everyMs);
  return () => clearInterval(timer);
}
