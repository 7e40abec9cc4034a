/**
 * The Ondato client over HTTP (see ../shared/ondato-api.md): OAuth2 client credentials with a cached token,
 * every response validated, every failure an `OndatoError` that says whether a retry can help. Retries other
 * than the one token refresh after a 401 are the caller's job (Temporal activity retry policies).
 */
import { PassThrough, Readable } from 'node:stream';
import type { ReadableStream as NodeWebReadableStream } from 'node:stream/web';
import type { z } from 'zod';
import type { OndatoHosts, OndatoSettings } from '../config';
import type { CallOptions, KycFileDownload, OndatoApi } from './api';
import {
  discardBody,
  errorFromResponse,
  joinUrl,
  malformed,
  readJsonBody,
  RequestDeadline,
  sendRequest,
  type FetchLike,
} from './http';
import {
  createIdvResponseSchema,
  identityVerificationSchema,
  kycIdentificationSchema,
  tokenResponseSchema,
  type CreateIdvRequest,
  type IdentityVerification,
  type KycIdentification,
} from './schemas';
import { TokenCache, type IssuedToken } from './token-cache';

export interface OndatoClientOptions {
  hosts: OndatoHosts;
  clientId: string;
  clientSecret: string;
  /** Space-separated OAuth scopes; omitted = every scope of the client. */
  scope?: string;
  /** Per request; for downloads, until the response headers arrive. */
  requestTimeoutMs?: number;
  /** How long before `expires_in` runs out the token is refreshed. */
  refreshMarginMs?: number;
  fetchImpl?: FetchLike;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;

interface Exchange {
  response: Response;
  deadline: RequestDeadline;
}

type DeadlineKind = 'wholeRequest' | 'untilHeaders';

export class OndatoClient implements OndatoApi {
  private readonly hosts: OndatoHosts;
  private readonly timeoutMs: number;
  private readonly fetchImpl: FetchLike;
  private readonly tokens: TokenCache;

  constructor(private readonly options: OndatoClientOptions) {
    this.hosts = options.hosts;
    this.timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.fetchImpl = options.fetchImpl ?? fetch;
    this.tokens = new TokenCache({
      fetchToken: () => this.requestToken(),
      refreshMarginMs: options.refreshMarginMs,
    });
  }

  async createIdentityVerification(
    request: CreateIdvRequest,
    options?: CallOptions,
  ): Promise<{ id: string }> {
    const operation = 'createIdentityVerification';
    const url = joinUrl(this.hosts.idvApiUrl, '/v1/identity-verifications');
    const created = await this.callJson(operation, url, createIdvResponseSchema, options, {
      method: 'POST',
      body: JSON.stringify(request),
    });
    return { id: created.id };
  }

  getIdentityVerification(idvId: string, options?: CallOptions): Promise<IdentityVerification> {
    const url = joinUrl(this.hosts.idvApiUrl, `/v1/identity-verifications/${encodeURIComponent(idvId)}`);
    return this.callJson('getIdentityVerification', url, identityVerificationSchema, options);
  }

  getKycIdentification(kycId: string, options?: CallOptions): Promise<KycIdentification> {
    const url = joinUrl(this.hosts.kycApiUrl, `/v1/identifications/${encodeURIComponent(kycId)}`);
    return this.callJson('getKycIdentification', url, kycIdentificationSchema, options);
  }

  async downloadKycFile(kycId: string, fileId: string, options?: CallOptions): Promise<KycFileDownload> {
    const operation = 'downloadKycFile';
    const url = joinUrl(
      this.hosts.kycApiUrl,
      `/v1/identifications/${encodeURIComponent(kycId)}/files/${encodeURIComponent(fileId)}`,
    );
    const { response, deadline } = await this.authorizedExchange(
      operation,
      url,
      { method: 'GET', headers: { accept: '*/*' } },
      options?.signal,
      'untilHeaders',
    );
    try {
      if (!response.ok) throw await errorFromResponse(operation, response, deadline);
      if (!response.body) throw malformed(operation, '(body)', 'the response has no body');
    } finally {
      deadline.disarm();
    }
    return {
      stream: bodyStream(operation, response.body, deadline),
      contentType: response.headers.get('content-type') ?? 'application/octet-stream',
      contentLength: declaredLength(response.headers),
    };
  }

  async redactIdentityVerification(idvId: string, options?: CallOptions): Promise<void> {
    const operation = 'redactIdentityVerification';
    const url = joinUrl(
      this.hosts.idvApiUrl,
      `/v1/identity-verifications/${encodeURIComponent(idvId)}/redact`,
    );
    const { response, deadline } = await this.authorizedExchange(
      operation,
      url,
      {
        method: 'PUT',
        headers: { accept: 'application/json', 'content-type': 'application/json' },
        // Which data to erase: both kinds [guess: the body's field names are not published].
        body: JSON.stringify({ personalData: true, biometricData: true }),
      },
      options?.signal,
      'wholeRequest',
    );
    try {
      if (!response.ok) throw await errorFromResponse(operation, response, deadline);
      await discardBody(response);
    } finally {
      deadline.disarm();
    }
  }

  customerUrl(idvId: string): string {
    return `${this.hosts.webFlowUrl.replace(/\/+$/, '')}/?id=${encodeURIComponent(idvId)}`;
  }

  private async callJson<Schema extends z.ZodType>(
    operation: string,
    url: string,
    schema: Schema,
    options: CallOptions | undefined,
    init: { method: 'GET' | 'POST'; body?: string } = { method: 'GET' },
  ): Promise<z.output<Schema>> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const { response, deadline } = await this.authorizedExchange(
      operation,
      url,
      { method: init.method, headers, body: init.body },
      options?.signal,
      'wholeRequest',
    );
    if (!response.ok) throw await errorFromResponse(operation, response, deadline);
    return readJsonBody(operation, response, schema, deadline);
  }

  /**
   * Sends the request with the cached token; on a 401 it fetches a fresh token and sends it once more. Each
   * attempt gets its own deadline. A second 401 is returned to the caller, which turns it into a
   * non-retryable error.
   */
  private async authorizedExchange(
    operation: string,
    url: string,
    init: { method: string; headers: Record<string, string>; body?: string },
    signal: AbortSignal | undefined,
    deadlineKind: DeadlineKind,
  ): Promise<Exchange> {
    const attempt = async (token: string): Promise<Exchange> => {
      const deadline =
        deadlineKind === 'wholeRequest'
          ? RequestDeadline.wholeRequest(this.timeoutMs, signal)
          : RequestDeadline.untilDisarmed(this.timeoutMs, signal);
      try {
        const response = await sendRequest(
          this.fetchImpl,
          operation,
          url,
          { ...init, headers: { ...init.headers, authorization: `Bearer ${token}` } },
          deadline,
        );
        return { response, deadline };
      } catch (error) {
        deadline.disarm();
        throw error;
      }
    };

    const token = await this.tokens.get(signal);
    const first = await attempt(token);
    if (first.response.status !== 401) return first;

    first.deadline.disarm();
    await discardBody(first.response);
    this.tokens.invalidate(token);
    return attempt(await this.tokens.get(signal));
  }

  private async requestToken(): Promise<IssuedToken> {
    const operation = 'token';
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: this.options.clientId,
      client_secret: this.options.clientSecret,
    });
    if (this.options.scope) form.set('scope', this.options.scope);
    // A token request serves every waiting caller, so it runs under our deadline only.
    const deadline = RequestDeadline.wholeRequest(this.timeoutMs);
    const response = await sendRequest(
      this.fetchImpl,
      operation,
      this.hosts.tokenUrl,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form.toString(),
      },
      deadline,
    );
    if (!response.ok) throw await errorFromResponse(operation, response, deadline);
    const token = await readJsonBody(operation, response, tokenResponseSchema, deadline);
    return { accessToken: token.access_token, expiresInMs: token.expires_in * 1000 };
  }
}

/**
 * The body as a Node stream, never buffered. Failures while streaming surface as `OndatoError` (caller
 * abort → 'aborted', cut connection → 'network'); destroying the returned stream cancels the download.
 */
function bodyStream(
  operation: string,
  body: ReadableStream<Uint8Array>,
  deadline: RequestDeadline,
): Readable {
  const source = Readable.fromWeb(body as NodeWebReadableStream<Uint8Array>);
  const output = new PassThrough();
  source.on('error', (error) => output.destroy(deadline.toError(operation, error)));
  output.on('close', () => {
    if (!source.destroyed) source.destroy();
  });
  source.pipe(output);
  return output;
}

/** The byte count as sent; unknown when the transport decoded a compressed body for us. */
function declaredLength(headers: Headers): number | undefined {
  const encoding = headers.get('content-encoding');
  if (encoding && encoding.toLowerCase() !== 'identity') return undefined;
  const value = Number(headers.get('content-length') ?? Number.NaN);
  return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

export function createOndatoClient(settings: OndatoSettings): OndatoClient {
  return new OndatoClient({
    hosts: settings.hosts,
    clientId: settings.clientId,
    clientSecret: settings.clientSecret,
    scope: settings.scope,
    requestTimeoutMs: settings.requestTimeoutMs,
  });
}
