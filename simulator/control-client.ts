/**
 * A typed client of the simulator's control API (`/_sim/...`) for tests, benchmarks and the demo. It only
 * imports types from the simulator, so using it does not load Express.
 */
import type {
  CompleteRequest,
  DecideRequest,
  FaultRequest,
  PatchIdvRequest,
  PatchKycRequest,
  WebhookSettingsUpdate,
} from './control-schemas';
import type { SimulatorStats, VerificationState, VerificationSummary, WebhookLog } from './controls';
import type { FaultRule } from './faults';
import type { CompleteResult, DecideResult } from './verification-flow';
import type { WebhookSettingsView } from './webhooks';

export class SimulatorControlError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    path: string,
  ) {
    super(`Simulator control ${path} failed with HTTP ${status}: ${body.slice(0, 300)}`);
    this.name = 'SimulatorControlError';
  }
}

export class SimulatorControl {
  private readonly baseUrl: string;

  /** `baseUrl` is the simulator's root URL, e.g. `RunningSimulator.url`. */
  constructor(
    baseUrl: string,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  /** Finishes the customer flow of an IDV as the page's buttons do (and more: sizes, rules, document data). */
  complete(idvId: string, body: CompleteRequest): Promise<CompleteResult> {
    return this.call('POST', `/identity-verifications/${encodeURIComponent(idvId)}/complete`, body);
  }

  /** Ondato's later decision on an identification left Awaiting. */
  decide(kycId: string, body: DecideRequest): Promise<DecideResult> {
    return this.call('POST', `/identifications/${encodeURIComponent(kycId)}/decide`, body);
  }

  verification(idvId: string): Promise<VerificationState> {
    return this.call('GET', `/identity-verifications/${encodeURIComponent(idvId)}`);
  }

  verifications(filter: { externalReferenceId?: string } = {}): Promise<VerificationSummary[]> {
    const query = filter.externalReferenceId
      ? `?externalReferenceId=${encodeURIComponent(filter.externalReferenceId)}`
      : '';
    return this.call('GET', `/identity-verifications${query}`);
  }

  patchVerification(idvId: string, body: PatchIdvRequest): Promise<VerificationState> {
    return this.call('PATCH', `/identity-verifications/${encodeURIComponent(idvId)}`, body);
  }

  patchIdentification(kycId: string, body: PatchKycRequest): Promise<Record<string, unknown>> {
    return this.call('PATCH', `/identifications/${encodeURIComponent(kycId)}`, body);
  }

  setFault(fault: FaultRequest): Promise<FaultRule> {
    return this.call('POST', '/faults', fault);
  }

  faults(): Promise<FaultRule[]> {
    return this.call('GET', '/faults');
  }

  async clearFaults(): Promise<void> {
    await this.call('DELETE', '/faults');
  }

  /** Makes every issued token expire now; the next API call gets a 401. */
  expireTokens(): Promise<{ expired: number }> {
    return this.call('POST', '/tokens/expire');
  }

  setWebhooks(settings: WebhookSettingsUpdate): Promise<WebhookSettingsView> {
    return this.call('PUT', '/webhooks', settings);
  }

  webhookLog(): Promise<WebhookLog> {
    return this.call('GET', '/webhooks');
  }

  stats(): Promise<SimulatorStats> {
    return this.call('GET', '/stats');
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.fetchImpl(`${this.baseUrl}/_sim${path}`, {
      method,
      headers: body === undefined ? undefined : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new SimulatorControlError(response.status, text, path);
    return (text ? JSON.parse(text) : undefined) as T;
  }
}
