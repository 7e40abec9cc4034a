/**
 * The visibility query of GET /v1/onboardings, built from a validated filter. Every value has already passed a
 * strict pattern or enum (schemas.ts); `quoted` refuses a quote or backslash anyway, so no filter can ever
 * change the query's structure.
 */
import { CustomerIdKey, ONBOARDING_WORKFLOW_TYPE, OnboardingStageKey, OutcomeKey } from '../contract';
import type { ListOnboardingsQuery } from './schemas';

export type ListFilter = Pick<
  ListOnboardingsQuery,
  'stage' | 'outcome' | 'customerIdPrefix' | 'startedAfter' | 'startedBefore'
>;

function quoted(value: string): string {
  if (/['"\\]/.test(value)) throw new Error(`list-query: a filter value with a quote reached the query`);
  return `'${value}'`;
}

/** The instant in UTC with milliseconds, the form Temporal compares datetimes in. */
function instant(value: string): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new Error(`list-query: not an instant: ${value}`);
  return date.toISOString();
}

/** `WorkflowType = 'onboardingWorkflow' AND …` for the filters that are set. */
export function listQuery(filter: ListFilter): string {
  const conditions = [`WorkflowType = ${quoted(ONBOARDING_WORKFLOW_TYPE)}`];
  if (filter.stage) conditions.push(`${OnboardingStageKey.name} = ${quoted(filter.stage)}`);
  if (filter.outcome) conditions.push(`${OutcomeKey.name} = ${quoted(filter.outcome)}`);
  if (filter.customerIdPrefix) {
    conditions.push(`${CustomerIdKey.name} STARTS_WITH ${quoted(filter.customerIdPrefix)}`);
  }
  if (filter.startedAfter) conditions.push(`StartTime >= ${quoted(instant(filter.startedAfter))}`);
  if (filter.startedBefore) conditions.push(`StartTime < ${quoted(instant(filter.startedBefore))}`);
  return conditions.join(' AND ');
}
