/**
 * The onboarding activities, built over their dependencies so tests and the worker wire them differently.
 * The workflow imports only the type `OnboardingActivities`.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { OndatoApi } from '../ondato/api';
import type { IdentityVerification, KycFile, KycIdentification } from '../ondato/schemas';
import type { CallbackEvent, IdvSnapshot, KycSummary, Registration, StoredDocument } from '../contract';
import type { CallbackTargets } from '../config/callback-targets';
import { sendCallback } from './callback';
import type { HostResolver } from './callback-transport';
import { keepHeartbeating, readCreateProgress, type CreateProgress } from './create-progress';
import { callOndato, type OndatoFailurePolicy } from './ondato-failures';
import {
  answeredWithStatus,
  checkIdv,
  checkKyc,
  isNotFoundFailure,
  parseUtc,
  type ExpectedIds,
} from './ondato-ids';
import type { DocumentStore } from '../storage/document-store';
import {
  storeAllDocuments,
  storeOneDocument,
  type DocumentDeps,
  type StoreDocumentInput,
  type StoreDocumentsInput,
} from './documents';

export type { StoreDocumentInput, StoreDocumentsInput } from './documents';

export interface ActivityDeps {
  ondato: OndatoApi;
  documents: DocumentStore;
  /** The IDV setup used when the onboarding names none. */
  defaultSetupId: string;
  /** How Ondato's refusals are retried (see activities/ondato-failures.ts). */
  ondatoFailures: OndatoFailurePolicy;
  callbacks: {
    /** Used when the onboarding names no callback URL; no callback is sent when neither exists. */
    defaultUrl?: string;
    secret: string;
    timeoutMs?: number;
    /** Where callbacks may go; by default only `defaultUrl`, at a public address. */
    targets?: CallbackTargets;
    resolver?: HostResolver;
  };
}

export interface CreateVerificationInput {
  customerId: string;
  registration: Registration;
  setupId?: string;
}

export interface CreatedVerification {
  idvId: string;
  customerUrl: string;
  /** True when the IDV was made by an earlier attempt of this call (its id was in that attempt's heartbeat). */
  reused?: boolean;
  /** IDVs earlier attempts created that this one does not use: the run redacts them. */
  extraIdvIds?: string[];
  /** Earlier attempts that may have created an IDV whose id never reached us. */
  unansweredCreates?: number;
}

export type { ExpectedIds } from './ondato-ids';

export interface RedactExtraInput {
  idvId: string;
  customerId: string;
  /** The run's current IDV: never redacted. */
  currentIdvId?: string;
  /** The run's start: an IDV created before it belongs to an earlier run and is left alone. */
  createdAfter: string;
}

export interface RedactExtraResult {
  disposition: 'redaction_requested' | 'ignored';
  note?: string;
}

export interface NotifyInput {
  callbackUrl?: string;
  event: CallbackEvent;
}

function toIdvSnapshot(idv: IdentityVerification): IdvSnapshot {
  return { idvId: idv.id, status: idv.status, kycId: idv.step?.kycIdentification?.id ?? undefined };
}

/** IDV statuses in which the customer can still go through the flow: a created IDV in one can be reused. */
const OPEN_IDV_STATUSES = new Set(['Pending', 'InProgress']);

// Ondato sends null for absent fields; `?? undefined` drops them, as payload JSON omits undefined keys.
function fileRef(file: KycFile): KycSummary['files'][number] {
  return {
    fileId: file.fileId,
    part: file.part ?? undefined,
    fileType: file.fileType ?? undefined,
    fileExtension: file.fileExtension ?? undefined,
  };
}

/** Keeps what the decision needs; the full resource stays at Ondato. */
export function toKycSummary(kyc: KycIdentification): KycSummary {
  const document = kyc.document;
  const files = [...(document?.files ?? []), ...(kyc.face?.files ?? []), ...(kyc.additionalFiles ?? [])];
  return {
    kycId: kyc.id,
    idvId: kyc.identityVerificationId ?? undefined,
    status: kyc.status,
    statusReason: kyc.statusReason ?? undefined,
    isCrossChecked: kyc.isCrossChecked ?? undefined,
    rules: (kyc.rules ?? []).map((rule) => ({ name: rule.name, status: rule.status })),
    document: document
      ? {
          type: document.type ?? undefined,
          firstName: document.firstName ?? undefined,
          lastName: document.lastName ?? undefined,
          dateOfBirth: document.dateOfBirth ?? undefined,
          personalCode: document.personalCode ?? undefined,
          dateOfExpiration: document.dateOfExpiration ?? undefined,
        }
      : undefined,
    files: files.map(fileRef),
  };
}

/** Time since the activity's first attempt: bounded retry windows count from there, across attempts. */
function elapsedSinceFirstAttempt(): number {
  return Date.now() - Context.current().info.scheduledTimestampMs;
}

export function createActivities(deps: ActivityDeps) {
  const ondatoCall = <T>(call: (signal: AbortSignal) => Promise<T>): Promise<T> =>
    callOndato(
      () => call(Context.current().cancellationSignal),
      deps.ondatoFailures,
      elapsedSinceFirstAttempt,
    );
  const documentDeps: DocumentDeps = { ondato: deps.ondato, documents: deps.documents, ondatoCall };

  const createIdv = (input: CreateVerificationInput): Promise<{ id: string }> =>
    ondatoCall((signal) =>
      deps.ondato.createIdentityVerification(
        {
          setupId: input.setupId ?? deps.defaultSetupId,
          externalReferenceId: input.customerId,
          registration: { ...input.registration },
        },
        { signal },
      ),
    );

  /** The IDV an earlier attempt created, if Ondato still shows it open for this customer. */
  const findReusable = async (idvId: string | undefined, customerId: string): Promise<string | undefined> => {
    if (!idvId) return undefined;
    let idv: IdentityVerification;
    try {
      idv = await ondatoCall((signal) => deps.ondato.getIdentityVerification(idvId, { signal }));
    } catch (error) {
      if (isNotFoundFailure(error)) return undefined;
      throw error;
    }
    const usable =
      idv.id === idvId &&
      idv.externalReferenceId === customerId &&
      OPEN_IDV_STATUSES.has(idv.status) &&
      !idv.redaction;
    return usable ? idvId : undefined;
  };
  return {
    /**
     * Creates the IDV, idempotently as far as Ondato allows (it has no idempotency key): the attempt records its
     * intent in a heartbeat before the POST and the created id right after it. A retried attempt that finds an id
     * there reuses that IDV if Ondato shows it still open for our customer; ids it does not reuse come back as
     * extras for the run to redact. An intent without an id (the attempt died between Ondato's answer and the
     * heartbeat) is counted: such an IDV may exist, and nothing in Ondato's API can find it.
     */
    async createVerification(input: CreateVerificationInput): Promise<CreatedVerification> {
      const context = Context.current();
      const earlier = readCreateProgress(context.info.heartbeatDetails);
      let progress: CreateProgress = {
        ...earlier,
        awaitingAnswer: false,
        unansweredCreates: earlier.unansweredCreates + (earlier.awaitingAnswer ? 1 : 0),
      };
      const stopHeartbeats = keepHeartbeating(() => progress);
      try {
        const reusable = await findReusable(progress.createdIdvIds.at(-1), input.customerId);
        let idvId: string;
        if (reusable) {
          idvId = reusable;
        } else {
          progress = { ...progress, awaitingAnswer: true };
          context.heartbeat(progress);
          const created = await createIdv(input);
          idvId = created.id;
          progress = {
            ...progress,
            awaitingAnswer: false,
            createdIdvIds: [...progress.createdIdvIds, idvId],
          };
          context.heartbeat(progress);
          // The new IDV must be the one we asked for: our reference, the id Ondato named.
          const idv = await ondatoCall((signal) => deps.ondato.getIdentityVerification(idvId, { signal }));
          checkIdv(idv, idvId, { customerId: input.customerId });
        }
        const extraIdvIds = progress.createdIdvIds.filter((id) => id !== idvId);
        return {
          idvId,
          customerUrl: deps.ondato.customerUrl(idvId),
          ...(reusable ? { reused: true } : {}),
          ...(extraIdvIds.length > 0 ? { extraIdvIds } : {}),
          ...(progress.unansweredCreates > 0 ? { unansweredCreates: progress.unansweredCreates } : {}),
        };
      } catch (error) {
        // Ondato answered with an error status: it created nothing, so this attempt leaves no open intent.
        if (error instanceof ApplicationFailure && progress.awaitingAnswer && answeredWithStatus(error)) {
          progress = { ...progress, awaitingAnswer: false };
          context.heartbeat(progress);
        }
        throw error;
      } finally {
        stopHeartbeats();
      }
    },

    async getVerification(idvId: string, expected?: ExpectedIds): Promise<IdvSnapshot> {
      const idv = await ondatoCall((signal) => deps.ondato.getIdentityVerification(idvId, { signal }));
      checkIdv(idv, idvId, expected);
      return toIdvSnapshot(idv);
    },

    async getIdentification(kycId: string, expected?: ExpectedIds): Promise<KycSummary> {
      const kyc = await ondatoCall((signal) => deps.ondato.getKycIdentification(kycId, { signal }));
      checkKyc(kyc, kycId, expected);
      return toKycSummary(kyc);
    },

    /**
     * Asks Ondato to erase an IDV the run does not use, after checking it is ours to erase: our customer's,
     * created during this run, not the current one, and never finished by the customer (that is for ops).
     */
    async redactExtraVerification(input: RedactExtraInput): Promise<RedactExtraResult> {
      if (input.idvId === input.currentIdvId) return { disposition: 'ignored', note: 'current_verification' };
      let idv: IdentityVerification;
      try {
        idv = await ondatoCall((signal) => deps.ondato.getIdentityVerification(input.idvId, { signal }));
      } catch (error) {
        if (isNotFoundFailure(error)) return { disposition: 'ignored', note: 'not_found' };
        throw error;
      }
      if (idv.id !== input.idvId || idv.externalReferenceId !== input.customerId) {
        return { disposition: 'ignored', note: 'not_this_customer' };
      }
      if (!(parseUtc(idv.createdUtc) >= Date.parse(input.createdAfter))) {
        return { disposition: 'ignored', note: 'older_than_run' };
      }
      if (idv.step?.kycIdentification?.id) return { disposition: 'ignored', note: 'has_identification' };
      if (idv.redaction) return { disposition: 'redaction_requested', note: 'already_redacted' };
      await ondatoCall((signal) => deps.ondato.redactIdentityVerification(input.idvId, { signal }));
      return { disposition: 'redaction_requested' };
    },

    /** Streams one file from Ondato into the store; returns a reference, never the bytes. */
    /** One file (runs recorded before the lean history store each file in an activity of its own). */
    storeDocument(input: StoreDocumentInput): Promise<StoredDocument> {
      return storeOneDocument(documentDeps, input);
    },

    /** Every file of the identification, a few at a time; a retry skips the files stored before. */
    storeDocuments(input: StoreDocumentsInput): Promise<StoredDocument[]> {
      return storeAllDocuments(documentDeps, input);
    },

    async notifyBackend(input: NotifyInput): Promise<{ delivered: boolean; deliveredAt?: string }> {
      const url = input.callbackUrl ?? deps.callbacks.defaultUrl;
      if (!url) return { delivered: false };
      await sendCallback(
        url,
        input.event,
        {
          secret: deps.callbacks.secret,
          timeoutMs: deps.callbacks.timeoutMs ?? 10_000,
          targets: deps.callbacks.targets ?? {
            allowed: deps.callbacks.defaultUrl ? [deps.callbacks.defaultUrl] : [],
            allowPrivateAddresses: false,
          },
          resolver: deps.callbacks.resolver,
        },
        Context.current().cancellationSignal,
      );
      return { delivered: true, deliveredAt: new Date().toISOString() };
    },
  };
}

export type OnboardingActivities = ReturnType<typeof createActivities>;
