/** The onboarding workflow's type, signature and id: one run per customer, named after the customer id. */
import type { DecisionRecord, OnboardingInput } from './types';

export const ONBOARDING_WORKFLOW_TYPE = 'onboardingWorkflow';

/** The workflow's signature: clients type their handles with it without importing workflow code. */
export type OnboardingWorkflow = (input: OnboardingInput) => Promise<DecisionRecord>;

/** Customer ids become workflow ids: the API validates them against this before using them. */
export const CUSTOMER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;

export function onboardingWorkflowId(customerId: string): string {
  return `onboarding-${customerId}`;
}
