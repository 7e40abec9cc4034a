/** The onboarding workflow's type and id: one run per customer, named after the customer id. */
export const ONBOARDING_WORKFLOW_TYPE = 'onboardingWorkflow';

/** Customer ids become workflow ids: the API validates them against this before using them. */
export const CUSTOMER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;

export function onboardingWorkflowId(customerId: string): string {
  return `onboarding-${customerId}`;
}
