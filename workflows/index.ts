/** The workflow bundle's entry point: every workflow type the worker registers. */
export { onboardingWorkflow } from './onboarding';
export { aftercareWorkflow } from './aftercare';
export { erasureWorkflow } from './erasure';
