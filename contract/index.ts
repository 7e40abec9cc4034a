/**
 * The onboarding contract: everything the workflow, the worker, the API, the tests and the bench must agree
 * on. Import it from here; nothing else reaches across folders for these. Deterministic and dependency-light,
 * because the workflow bundle imports it too.
 */
export * from './workflow-id';
export * from './types';
export * from './messages';
export * from './search-attributes';
export * from './failures';
export * from './callback-event';
export * from './lifecycle';
