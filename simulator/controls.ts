/**
 * The simulator's control surface, in process. The JSON control API (`/_sim/...`) and the customer page are
 * thin layers over it; tests that run the simulator in their own process may call it directly.
 */
import type {
  CompleteRequest,
  DecideRequest,
  FaultRequest,
  PatchIdvRequest,
  PatchKycRequest,
  WebhookSettingsUpdate,
} from './control-schemas';
import type { FaultInjector, FaultRule } from './faults';
import type { RequestCounter, RouteCounts } from './request-counter';
import { identityVerificationResource, kycIdentificationResource } from './resources';
import type { SimulatorStore } from './store';
import type { TokenIssuer } from './tokens';
import type { CompleteResult, DecideResult, VerificationFlow } from './verification-flow';
import type { WebhookDelivery, WebhookDispatcher, WebhookSettingsView } from './webhooks';

export interface SimulatorStats {
  /** Requests that reached the token endpoint, refused and faulted ones included. */
  tokenRequests: number;
  tokensIssued: number;
  requests: RouteCounts;
  webhookAttempts: number;
  webhooksDelivered: number;
  identityVerifications: number;
}

export interface VerificationState {
  /** As `GET /v1/identity-verifications/:id` returns it. */
  identityVerification: Record<string, unknown>;
  /** As `GET /v1/identifications/:id` returns it; null until the customer finished. */
  identification: Record<string, unknown> | null;
}

export interface VerificationSummary {
  id: string;
  status: string;
  externalReferenceId: string | null;
  kycId: string | null;
  createdUtc: string;
  /** When a redaction was asked for, and when the (asynchronous) erasure finished; null if not yet. */
  redactionRequestedUtc: string | null;
  redactedUtc: string | null;
}

export interface WebhookLog {
  settings: WebhookSettingsView;
  deliveries: WebhookDelivery[];
}

export class SimulatorControls {
  constructor(
    private readonly store: SimulatorStore,
    private readonly flow: VerificationFlow,
    private readonly faults: FaultInjector,
    private readonly tokens: TokenIssuer,
    private readonly webhooks: WebhookDispatcher,
    private readonly counter: RequestCounter,
  ) {}

  complete(idvId: string, request: CompleteRequest): CompleteResult {
    return this.flow.complete(idvId, request);
  }

  decide(kycId: string, request: DecideRequest): DecideResult {
    return this.flow.decide(kycId, request);
  }

  verification(idvId: string): VerificationState {
    const idv = this.flow.requireIdv(idvId);
    const kyc = idv.kycIdentificationId ? this.store.identification(idv.kycIdentificationId) : undefined;
    return {
      identityVerification: identityVerificationResource(idv, this.store.applicationId, kyc),
      identification: kyc ? kycIdentificationResource(kyc, this.store.applicationId) : null,
    };
  }

  verifications(filter: { externalReferenceId?: string } = {}): VerificationSummary[] {
    return this.store
      .identityVerifications()
      .filter((idv) => !filter.externalReferenceId || idv.externalReferenceId === filter.externalReferenceId)
      .map((idv) => ({
        id: idv.id,
        status: idv.status,
        externalReferenceId: idv.externalReferenceId,
        kycId: idv.kycIdentificationId,
        createdUtc: idv.createdUtc,
        redactionRequestedUtc: idv.redaction?.requestedUtc ?? null,
        redactedUtc: idv.redaction?.redactedUtc ?? null,
      }));
  }

  patchVerification(idvId: string, patch: PatchIdvRequest): VerificationState {
    this.flow.patchIdv(idvId, patch);
    return this.verification(idvId);
  }

  patchIdentification(kycId: string, patch: PatchKycRequest): Record<string, unknown> {
    return kycIdentificationResource(this.flow.patchKyc(kycId, patch), this.store.applicationId);
  }

  setFault(request: FaultRequest): FaultRule {
    return this.faults.add(request);
  }

  activeFaults(): FaultRule[] {
    return this.faults.list();
  }

  clearFaults(): void {
    this.faults.clear();
  }

  expireTokens(): { expired: number } {
    return { expired: this.tokens.expireAll() };
  }

  setWebhooks(update: WebhookSettingsUpdate): WebhookSettingsView {
    return this.webhooks.configure(update);
  }

  webhookLog(): WebhookLog {
    return { settings: this.webhooks.view(), deliveries: this.webhooks.deliveries() };
  }

  /** Resolves once no webhook delivery attempt is running (retries may still be scheduled). */
  webhooksSettled(): Promise<void> {
    return this.webhooks.settled();
  }

  stats(): SimulatorStats {
    const requests = this.counter.snapshot();
    const webhooks = this.webhooks.counts();
    return {
      tokenRequests: requests.token,
      tokensIssued: this.tokens.issuedCount(),
      requests,
      webhookAttempts: webhooks.attempts,
      webhooksDelivered: webhooks.delivered,
      identityVerifications: this.store.identityVerifications().length,
    };
  }
}
