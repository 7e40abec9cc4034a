/**
 * The contract names the workflow by type name and signature so clients never import workflow code; this holds
 * the implementation to both (the assignment below fails to compile if the signature drifts).
 */
import {
  AFTERCARE_WORKFLOW_TYPE,
  ERASURE_WORKFLOW_TYPE,
  ONBOARDING_WORKFLOW_TYPE,
  SEARCH_ATTRIBUTE_KEYS,
  searchAttributeCliSpecs,
  type OnboardingWorkflow,
} from '../../contract';
import * as workflows from '../../workflows';

describe('the onboarding contract', () => {
  it('names the workflow the bundle registers, with its signature', () => {
    const implementation: OnboardingWorkflow = workflows.onboardingWorkflow;
    expect(implementation.name).toBe(ONBOARDING_WORKFLOW_TYPE);
    // Every export of the bundle's entry point becomes a workflow type: the onboarding and its lifecycle runs.
    expect(Object.keys(workflows).sort()).toEqual(
      [AFTERCARE_WORKFLOW_TYPE, ERASURE_WORKFLOW_TYPE, ONBOARDING_WORKFLOW_TYPE].sort(),
    );
    expect(workflows.aftercareWorkflow.name).toBe(AFTERCARE_WORKFLOW_TYPE);
    expect(workflows.erasureWorkflow.name).toBe(ERASURE_WORKFLOW_TYPE);
  });

  it('lists every search attribute once, in the CLI spelling the dev server takes', () => {
    const names = SEARCH_ATTRIBUTE_KEYS.map((key) => key.name);
    expect(new Set(names).size).toBe(names.length);
    expect(searchAttributeCliSpecs()).toEqual(names.map((name) => `${name}=Keyword`));
  });
});
