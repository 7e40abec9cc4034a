/**
 * The service's HTTP API as the chaos suite uses it: a product backend (start, read, review with the API key),
 * ops (resume with an ops key) and Ondato (webhooks with Basic auth), plus raw requests for hostile ones. Which
 * key a route wants is read from the API's own OpenAPI document, so the suite follows the routes as they are.
 */
import type { OnboardingLink, OnboardingStatus } from '../api/schemas';
import type { OnboardingTimeouts } from '../contract';
import { SAMPLE_REGISTRATION } from '../simulator/sample-registration';
import { basicAuthHeader } from '../bench/infra/credentials';

const REQUEST_TIMEOUT_MS = 15_000;

export interface Answer<T = unknown> {
  status: number;
  /** The parsed JSON body, if it was JSON. */
  body: T | undefined;
  text: string;
  headers: Headers;
}

export class ApiCallError extends Error {
  constructor(
    readonly what: string,
    readonly answer: Answer,
  ) {
    super(`${what} answered ${answer.status}: ${answer.text.slice(0, 300)}`);
    this.name = 'ApiCallError';
  }
}

interface OpenApiDocument {
  paths: Record<string, Record<string, { security?: Array<Record<string, unknown>> }>>;
}

export class ServiceApi {
  /** Set by discover(): the API serves `POST /v1/onboardings/:customerId/resume`. */
  resumeRoute = false;
  private reviewWithOpsKey = false;

  constructor(
    readonly baseUrl: string,
    private readonly apiKey: string,
    private readonly opsKey: string,
    private readonly webhookCredentials: { user: string; password: string },
  ) {}

  /** Reads the OpenAPI document: is there a resume route, and which key does review take. */
  async discover(): Promise<void> {
    const answer = await this.request<OpenApiDocument>('GET', '/openapi.json');
    const paths = answer.body?.paths ?? {};
    this.resumeRoute = paths['/v1/onboardings/{customerId}/resume']?.post !== undefined;
    const reviewSecurity = JSON.stringify(paths['/v1/onboardings/{customerId}/review']?.post?.security ?? []);
    this.reviewWithOpsKey = /ops/i.test(reviewSecurity);
  }

  get webhookAuth(): string {
    return basicAuthHeader(this.webhookCredentials.user, this.webhookCredentials.password);
  }

  /** Answers within API_START_WAIT_MS (+ one Temporal call) by design; 30 s is ample. */
  start(customerId: string, timeouts: Partial<OnboardingTimeouts>): Promise<Answer<OnboardingLink>> {
    return this.request('POST', '/v1/onboardings', {
      headers: { authorization: `Bearer ${this.apiKey}` },
      json: { customerId, registration: SAMPLE_REGISTRATION, timeouts },
      timeoutMs: 30_000,
    });
  }

  async status(customerId: string): Promise<OnboardingStatus> {
    const answer = await this.request<OnboardingStatus>(
      'GET',
      `/v1/onboardings/${encodeURIComponent(customerId)}`,
      { headers: { authorization: `Bearer ${this.apiKey}` } },
    );
    if (answer.status !== 200 || !answer.body) throw new ApiCallError(`GET ${customerId}`, answer);
    return answer.body;
  }

  async review(customerId: string, decision: 'approved' | 'rejected'): Promise<Answer> {
    return this.request('POST', `/v1/onboardings/${encodeURIComponent(customerId)}/review`, {
      headers: { authorization: `Bearer ${this.reviewWithOpsKey ? this.opsKey : this.apiKey}` },
      json: { reviewerId: 'chaos-ops', decision, note: 'chaos suite' },
    });
  }

  resume(customerId: string): Promise<Answer> {
    return this.request('POST', `/v1/onboardings/${encodeURIComponent(customerId)}/resume`, {
      headers: { authorization: `Bearer ${this.opsKey}` },
      json: { requestedBy: 'chaos-ops', note: 'the 401 burst is over' },
    });
  }

  /** `POST /webhooks/ondato` with a raw body and the given (or the right) Authorization header. */
  webhook(body: string | Buffer, authorization: string | null = this.webhookAuth): Promise<Answer> {
    return this.request('POST', '/webhooks/ondato', {
      headers: {
        'content-type': 'application/json',
        ...(authorization === null ? {} : { authorization }),
      },
      raw: body,
    });
  }

  async request<T = unknown>(
    method: string,
    path: string,
    options: {
      headers?: Record<string, string>;
      json?: unknown;
      raw?: string | Buffer;
      timeoutMs?: number;
    } = {},
  ): Promise<Answer<T>> {
    const body = options.json !== undefined ? JSON.stringify(options.json) : options.raw;
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        ...(options.json !== undefined ? { 'content-type': 'application/json' } : {}),
        ...options.headers,
      },
      body,
      signal: AbortSignal.timeout(options.timeoutMs ?? REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    let parsed: T | undefined;
    try {
      parsed = text ? (JSON.parse(text) as T) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: response.status, body: parsed, text, headers: response.headers };
  }
}
