/**
 * Caches the OAuth2 access token. Ondato does not document the lifetime, so the cache honours `expires_in`,
 * refreshes a little early, and lets concurrent callers share one refresh (single flight): a burst of calls
 * with an expired token costs one token request, not one per call.
 */
import { OndatoError } from './errors';

export interface IssuedToken {
  accessToken: string;
  expiresInMs: number;
}

export interface TokenCacheOptions {
  /** Fetches a new token; runs under its own deadline, never under one caller's signal. */
  fetchToken: () => Promise<IssuedToken>;
  /** How long before expiry a token counts as stale; capped at half the token's lifetime. */
  refreshMarginMs?: number;
  now?: () => number;
}

const DEFAULT_REFRESH_MARGIN_MS = 60_000;

export class TokenCache {
  private current?: { accessToken: string; staleAt: number };
  private refreshing?: Promise<string>;
  private readonly refreshMarginMs: number;
  private readonly now: () => number;

  constructor(private readonly options: TokenCacheOptions) {
    this.refreshMarginMs = options.refreshMarginMs ?? DEFAULT_REFRESH_MARGIN_MS;
    this.now = options.now ?? Date.now;
  }

  /** A token that is fresh now. The caller's signal only stops this caller from waiting. */
  async get(signal?: AbortSignal): Promise<string> {
    if (signal?.aborted) throw abortedWhileWaiting();
    if (this.current && this.now() < this.current.staleAt) return this.current.accessToken;
    this.refreshing ??= this.refresh();
    return waitUnlessAborted(this.refreshing, signal);
  }

  /**
   * Forgets `accessToken` after the API rejected it. Only that exact token is dropped, so when many calls
   * fail with the same stale token, the first one triggers the refresh and the others reuse its result.
   */
  invalidate(accessToken: string): void {
    if (this.current?.accessToken === accessToken) this.current = undefined;
  }

  private async refresh(): Promise<string> {
    const requestedAt = this.now();
    try {
      const token = await this.options.fetchToken();
      // Counted from the request, not the answer: the server's clock started before ours could see it.
      const margin = Math.min(this.refreshMarginMs, token.expiresInMs / 2);
      this.current = { accessToken: token.accessToken, staleAt: requestedAt + token.expiresInMs - margin };
      return token.accessToken;
    } finally {
      this.refreshing = undefined;
    }
  }
}

function abortedWhileWaiting(): OndatoError {
  return new OndatoError('Ondato token: cancelled by the caller', { kind: 'aborted', operation: 'token' });
}

function waitUnlessAborted<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortedWhileWaiting());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
