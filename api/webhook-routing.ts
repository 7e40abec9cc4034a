/**
 * Maps an Ondato webhook envelope to what the onboarding workflow needs: which run it is for and the ids to
 * re-fetch. Ids only: the payload's personal data never enters a signal.
 */
import type { OndatoWebhookSignal } from '../contract';
import type { WebhookEnvelope } from '../ondato/schemas';

/** Older deliveries use the `Idv.` prefix for the same events. */
const TYPE_ALIASES: Record<string, string> = {
  'Idv.StatusChanged': 'IdentityVerification.StatusChanged',
  'Idv.Consented': 'IdentityVerification.Consented',
};

export type WebhookRouting =
  | { kind: 'ignored'; type: string }
  | { kind: 'relay'; customerId?: string; idvId?: string; signal: OndatoWebhookSignal };

export function routeWebhook(envelope: WebhookEnvelope): WebhookRouting {
  const type = TYPE_ALIASES[envelope.type] ?? envelope.type;
  const { payload } = envelope;
  let idvId: string | undefined;
  let kycId: string | undefined;
  if (type.startsWith('IdentityVerification.')) {
    idvId = payload.id;
  } else if (type.startsWith('KycIdentification.')) {
    kycId = payload.id;
    idvId = payload.identityVerificationId ?? undefined;
  } else {
    return { kind: 'ignored', type }; // KybIdentification.*, Form.*, ...: not ours to act on
  }
  return {
    kind: 'relay',
    customerId: payload.externalReferenceId ?? undefined,
    idvId,
    signal: { deliveryId: envelope.id, type, idvId, kycId, createdUtc: envelope.createdUtc },
  };
}
