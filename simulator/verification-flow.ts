/**
 * What happens to a verification as the customer goes through it, and the webhooks each change sends.
 * The customer page and the control API both act through this class, so they behave the same.
 */
import { randomUUID } from 'node:crypto';
import type {
  CompleteRequest,
  DecideRequest,
  CustomerFlowOutcome,
  PatchIdvRequest,
  PatchKycRequest,
} from './control-schemas';
import { buildIdentification } from './documents';
import type { Logger } from './log';
import { identityVerificationResource, kycIdentificationResource } from './resources';
import type { SimIdentityVerification, SimKycIdentification, SimulatorStore } from './store';
import type { WebhookDispatcher, WebhookEvent } from './webhooks';

export class FlowError extends Error {
  constructor(
    readonly status: 404 | 409,
    readonly reason: 'NotFound' | 'Conflict',
    message: string,
  ) {
    super(message);
    this.name = 'FlowError';
  }
}

export interface CompleteResult {
  idvId: string;
  status: string;
  kycId?: string;
  kycStatus?: string;
  statusReason?: string | null;
}

export interface DecideResult {
  kycId: string;
  idvId: string;
  status: string;
  statusReason: string | null;
}

/** IDV statuses in which the customer can still act. */
const OPEN_STATUSES = new Set(['Pending', 'InProgress']);

const KYC_STATUS_BY_OUTCOME: Partial<Record<CustomerFlowOutcome, string>> = {
  approved: 'Approved',
  rejected: 'Rejected',
  awaiting: 'Awaiting',
};

const IDV_STATUS_BY_OUTCOME: Record<CustomerFlowOutcome, string> = {
  approved: 'Completed',
  rejected: 'Completed',
  awaiting: 'Completed',
  aborted: 'Aborted',
  expired: 'Expired',
};

const DEFAULT_REJECTION_REASON = 'PoorPhotoQuality';

export class VerificationFlow {
  constructor(
    private readonly store: SimulatorStore,
    private readonly webhooks: WebhookDispatcher,
    private readonly logEvent: Logger,
    private readonly defaultDocumentBytes: number,
  ) {}

  /** The customer opened the page: a pending session is now in progress. */
  open(idvId: string): SimIdentityVerification {
    const idv = this.requireIdv(idvId);
    if (idv.status === 'Pending') {
      idv.status = 'InProgress';
      touch(idv);
      this.store.changed();
      this.logEvent('idv.opened', { idvId });
    }
    return idv;
  }

  complete(idvId: string, request: CompleteRequest): CompleteResult {
    const idv = this.requireIdv(idvId);
    if (!OPEN_STATUSES.has(idv.status)) {
      throw new FlowError(409, 'Conflict', `Identity verification is already ${idv.status}`);
    }
    const now = new Date();
    idv.status = IDV_STATUS_BY_OUTCOME[request.outcome];
    touch(idv, now);
    const kycStatus = KYC_STATUS_BY_OUTCOME[request.outcome];
    if (!kycStatus) {
      this.store.changed();
      this.logEvent('idv.completed', { idvId, outcome: request.outcome });
      this.webhooks.publish([this.idvEvent(idv)]);
      return { idvId, status: idv.status };
    }

    idv.consent = { id: randomUUID(), isConsented: true, consentedUtc: now.toISOString() };
    const statusReason =
      request.statusReason ?? (request.outcome === 'rejected' ? DEFAULT_REJECTION_REASON : null);
    const kyc = buildIdentification({
      idv,
      status: kycStatus,
      statusReason,
      request,
      defaultDocumentBytes: this.defaultDocumentBytes,
      now,
    });
    this.store.addIdentification(kyc);
    idv.kycIdentificationId = kyc.id;
    this.store.changed();
    this.logEvent('idv.completed', { idvId, outcome: request.outcome, kycId: kyc.id });

    const events = [this.idvEvent(idv), this.kycEvent('KycIdentification.Created', kyc)];
    const decision = decisionEventType(kyc.status);
    if (decision) events.push(this.kycEvent(decision, kyc));
    this.webhooks.publish(events);
    return {
      idvId,
      status: idv.status,
      kycId: kyc.id,
      kycStatus: kyc.status,
      statusReason: kyc.statusReason,
    };
  }

  /** Ondato's later decision on an identification left `Awaiting` (its manual review). */
  decide(kycId: string, request: DecideRequest): DecideResult {
    const kyc = this.requireKyc(kycId);
    if (kyc.status !== 'Awaiting') {
      throw new FlowError(409, 'Conflict', `Identification is already ${kyc.status}`);
    }
    kyc.status = request.status;
    kyc.statusReason =
      request.statusReason ?? (request.status === 'Rejected' ? DEFAULT_REJECTION_REASON : null);
    kyc.completedUtc = new Date().toISOString();
    kyc.isCrossChecked = true;
    const idv = this.store.identityVerification(kyc.identityVerificationId);
    if (idv) touch(idv);
    this.store.changed();
    this.logEvent('kyc.decided', { kycId, status: kyc.status });
    this.webhooks.publish([this.kycEvent(decisionEventType(kyc.status) ?? 'KycIdentification.Updated', kyc)]);
    return { kycId, idvId: kyc.identityVerificationId, status: kyc.status, statusReason: kyc.statusReason };
  }

  /** Raw edits for edge-case tests; no webhooks. */
  patchIdv(idvId: string, patch: PatchIdvRequest): SimIdentityVerification {
    const idv = this.requireIdv(idvId);
    if (patch.status) idv.status = patch.status;
    if (patch.extraFields) Object.assign(idv.extraFields, patch.extraFields);
    touch(idv);
    this.store.changed();
    return idv;
  }

  patchKyc(kycId: string, patch: PatchKycRequest): SimKycIdentification {
    const kyc = this.requireKyc(kycId);
    if (patch.status) kyc.status = patch.status;
    if (patch.statusReason !== undefined) kyc.statusReason = patch.statusReason;
    if (patch.extraFields) Object.assign(kyc.extraFields, patch.extraFields);
    this.store.changed();
    return kyc;
  }

  requireIdv(idvId: string): SimIdentityVerification {
    const idv = this.store.identityVerification(idvId);
    if (!idv) throw new FlowError(404, 'NotFound', 'Identity verification not found');
    return idv;
  }

  requireKyc(kycId: string): SimKycIdentification {
    const kyc = this.store.identification(kycId);
    if (!kyc) throw new FlowError(404, 'NotFound', 'Identification not found');
    return kyc;
  }

  private idvEvent(idv: SimIdentityVerification): WebhookEvent {
    const kyc = idv.kycIdentificationId ? this.store.identification(idv.kycIdentificationId) : undefined;
    return {
      type: 'IdentityVerification.StatusChanged',
      payload: identityVerificationResource(idv, this.store.applicationId, kyc),
      idvId: idv.id,
      kycId: kyc?.id,
    };
  }

  private kycEvent(type: string, kyc: SimKycIdentification): WebhookEvent {
    return {
      type,
      payload: kycIdentificationResource(kyc, this.store.applicationId),
      idvId: kyc.identityVerificationId,
      kycId: kyc.id,
    };
  }
}

function decisionEventType(status: string): string | undefined {
  if (status === 'Approved') return 'KycIdentification.Approved';
  if (status === 'Rejected') return 'KycIdentification.Rejected';
  return undefined;
}

function touch(idv: SimIdentityVerification, now: Date = new Date()): void {
  idv.modifiedUtc = now.toISOString();
}
