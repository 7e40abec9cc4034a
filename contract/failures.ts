/**
 * `ApplicationFailure.type` values the activities raise. Clients (the API, ops tooling) match on these, so they
 * are part of the service's contract.
 */
export const FailureType = {
  /** Ondato refused the request (4xx other than 408/429): retrying cannot help. Details carry status/reason. */
  OndatoRequestRejected: 'OndatoRequestRejected',
  /** Ondato was unreachable, slow or overloaded (429/5xx/network/timeout): retried with backoff. */
  OndatoUnavailable: 'OndatoUnavailable',
  /** Ondato answered 2xx with a body that breaks the schema: retried, visible as the last failure. */
  OndatoMalformedResponse: 'OndatoMalformedResponse',
  /** The product backend refused the callback (4xx other than 408/429). */
  CallbackRejected: 'CallbackRejected',
  /** The product backend was unreachable or failed (5xx/network/timeout): retried. */
  CallbackUnavailable: 'CallbackUnavailable',
  /** The document store failed to write: retried. */
  DocumentStoreFailed: 'DocumentStoreFailed',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];
