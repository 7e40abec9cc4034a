/**
 * `ApplicationFailure.type` values the activities raise. Clients (the API, ops tooling) match on these, so they
 * are part of the service's contract.
 */
export const FailureType = {
  /** Ondato says our request is wrong (400, 404, 422...): retrying cannot help. Details carry status/reason. */
  OndatoRequestRejected: 'OndatoRequestRejected',
  /**
   * Ondato refused our credentials (401 after a fresh token, 403, or the token endpoint said no): retried with
   * backoff for ONDATO_AUTH_RETRY_WINDOW_MS (a rotated secret, a flaky identity provider), then not retryable.
   */
  OndatoAuthFailed: 'OndatoAuthFailed',
  /** Ondato was unreachable, slow or overloaded (429/5xx/network/timeout): retried with backoff. */
  OndatoUnavailable: 'OndatoUnavailable',
  /** Ondato answered 2xx with a body that breaks the schema: retried, visible as the last failure. */
  OndatoMalformedResponse: 'OndatoMalformedResponse',
  /** A document download broke off (connection reset, stall, short body): retried from the start. */
  OndatoDownloadInterrupted: 'OndatoDownloadInterrupted',
  /**
   * An id Ondato returned is not the run's (IDV ↔ its KYC identification ↔ our externalReferenceId): the answer
   * belongs to another session. Not retried; the run parks for ops instead of deciding on someone else's data.
   */
  OndatoIdMismatch: 'OndatoIdMismatch',
  /** The product backend refused the callback (4xx other than 408/429). */
  CallbackRejected: 'CallbackRejected',
  /**
   * The callback URL is not allowed (not in the allow-list, or it resolves to a loopback/private address): no
   * request was sent; not retryable.
   */
  CallbackTargetRefused: 'CallbackTargetRefused',
  /** The product backend was unreachable or failed (5xx/network/timeout): retried. */
  CallbackUnavailable: 'CallbackUnavailable',
  /** The document store failed to write (disk, bucket): retried. */
  DocumentStoreFailed: 'DocumentStoreFailed',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];
