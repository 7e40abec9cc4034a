/**
 * Maps an Ondato webhook envelope to what the onboarding workflow needs: which run it is for and the ids to
 * re-fetch, and the payload's status as a hint. Ids and statuses only: its personal data never enters a signal.
 */
import type { OndatoWebhookSignal, WebhookHint } from '../contract';
import { webhookStepHintSchema, type WebhookEnvelope } from '../ondato/schemas';

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
  let hintedKycId: string | undefined;
  if (type.startsWith('IdentityVerification.')) {
    idvId = payload.id;
    const step = webhookStepHintSchema.safeParse(payload);
    hintedKycId = step.success ? step.data.step.kycIdentification.id : undefined;
  } else if (type.startsWith('KycIdentification.')) {
    kycId = payload.id;
    hintedKycId = kycId;
    idvId = payload.identityVerificationId ?? undefined;
  } else {
    return { kind: 'ignored', type }; // KybIdentification.*, Form.*, ...: not ours to act on
  }
  const hint = compactHint({ status: payload.status ?? undefined, kycId: hintedKycId });
  return {
    kind: 'relay',
    customerId: payload.externalReferenceId ?? undefined,
    idvId,
    signal: {
      deliveryId: envelope.id,
      type,
      idvId,
      kycId,
      createdUtc: envelope.createdUtc,
      ...(hint ? { hint } : {}),
    },
  };
}

/** The hint without its empty fields; none when the payload said nothing useful. */
function compactHint(hint: WebhookHint): WebhookHint | undefined {
  const compact: WebhookHint = {};
  if (hint.status) compact.status = hint.status;
  if (hint.kycId) compact.kycId = hint.kycId;
  return Object.keys(compact).length > 0 ? compact : undefined;
}
