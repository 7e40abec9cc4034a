/**
 * The onboarding activities, built over their dependencies so tests and the worker wire them differently.
 * The workflow imports only the type `OnboardingActivities`.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../contract';
import type { OndatoApi } from '../ondato/api';
import { OndatoError } from '../ondato/errors';
import type { IdentityVerification, KycFile, KycIdentification } from '../ondato/schemas';
import type { CallbackEvent, IdvSnapshot, KycSummary, Registration, StoredDocument } from '../contract';
import type { CallbackTargets } from '../config/callback-targets';
import { sendCallback } from './callback';
import type { HostResolver } from './callback-transport';
import { callOndato, type OndatoFailurePolicy } from './ondato-failures';
import type { DocumentStore } from './storage/document-store';

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

export interface StoreDocumentInput {
  customerId: string;
  kycId: string;
  file: KycSummary['files'][number];
}

export interface NotifyInput {
  callbackUrl?: string;
  event: CallbackEvent;
}

/** Heartbeats are throttled by the SDK, but there is no point in calling it for every 64 KiB chunk. */
const HEARTBEAT_EVERY_BYTES = 1024 * 1024;

function toIdvSnapshot(idv: IdentityVerification): IdvSnapshot {
  return { idvId: idv.id, status: idv.status, kycId: idv.step?.kycIdentification?.id ?? undefined };
}

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

function extensionOf(file: StoreDocumentInput['file'], contentType: string): string {
  const fromOndato = file.fileExtension?.replace(/^\./, '').toLowerCase();
  if (fromOndato && /^[a-z0-9]{1,8}$/.test(fromOndato)) return fromOndato;
  return contentType === 'image/png' ? 'png' : contentType === 'application/pdf' ? 'pdf' : 'jpg';
}

/** Time since the activity's first attempt: bounded retry windows count from there, across attempts. */
function elapsedSinceFirstAttempt(): number {
  return Date.now() - Context.current().info.scheduledTimestampMs;
}

/**
 * Why a copy failed: the download broke off (its stream is the Ondato client's, so its errors are OndatoErrors)
 * or the store failed to write. Both are retried; the type tells ops which side to look at.
 */
function documentCopyFailure(fileId: string, error: unknown): ApplicationFailure {
  const reason = error instanceof Error ? error.message : String(error);
  return error instanceof OndatoError
    ? ApplicationFailure.retryable(
        `document ${fileId}: the download broke off: ${reason}`,
        FailureType.OndatoDownloadInterrupted,
      )
    : ApplicationFailure.retryable(
        `document ${fileId}: the store failed: ${reason}`,
        FailureType.DocumentStoreFailed,
      );
}

export function createActivities(deps: ActivityDeps) {
  const ondatoCall = <T>(call: (signal: AbortSignal) => Promise<T>): Promise<T> =>
    callOndato(
      () => call(Context.current().cancellationSignal),
      deps.ondatoFailures,
      elapsedSinceFirstAttempt,
    );
  return {
    async createVerification(
      input: CreateVerificationInput,
    ): Promise<{ idvId: string; customerUrl: string }> {
      const created = await ondatoCall((signal) =>
        deps.ondato.createIdentityVerification(
          {
            setupId: input.setupId ?? deps.defaultSetupId,
            externalReferenceId: input.customerId,
            registration: { ...input.registration },
          },
          { signal },
        ),
      );
      return { idvId: created.id, customerUrl: deps.ondato.customerUrl(created.id) };
    },

    async getVerification(idvId: string): Promise<IdvSnapshot> {
      const idv = await ondatoCall((signal) => deps.ondato.getIdentityVerification(idvId, { signal }));
      return toIdvSnapshot(idv);
    },

    async getIdentification(kycId: string): Promise<KycSummary> {
      const kyc = await ondatoCall((signal) => deps.ondato.getKycIdentification(kycId, { signal }));
      return toKycSummary(kyc);
    },

    /** Streams one file from Ondato into the store; returns a reference, never the bytes. */
    async storeDocument(input: StoreDocumentInput): Promise<StoredDocument> {
      const context = Context.current();
      const signal = context.cancellationSignal;
      const download = await ondatoCall((callSignal) =>
        deps.ondato.downloadKycFile(input.kycId, input.file.fileId, { signal: callSignal }),
      );
      const key = `${input.customerId}/${input.kycId}/${input.file.fileId}.${extensionOf(input.file, download.contentType)}`;
      let lastBeat = 0;
      let stored: Awaited<ReturnType<DocumentStore['put']>>;
      // A store may await (mkdir, a bucket round trip) before it reads the body; a connection cut in that gap
      // errors the stream with nobody listening, which would crash the worker. This listener keeps the download's
      // own error, so the failure names the download even when the store only saw a premature close.
      let downloadError: unknown;
      const holdEarlyError = (error: unknown): void => {
        downloadError ??= error;
      };
      download.stream.on('error', holdEarlyError);
      try {
        stored = await deps.documents.put(key, download.stream, {
          contentType: download.contentType,
          signal,
          onProgress: (bytes) => {
            if (bytes - lastBeat >= HEARTBEAT_EVERY_BYTES) {
              lastBeat = bytes;
              context.heartbeat({ bytes });
            }
          },
        });
      } catch (error) {
        // Cancelled (the run moved on, or the worker is shutting down): the SDK reports that itself.
        if (signal.aborted) throw error;
        throw documentCopyFailure(input.file.fileId, downloadError ?? error);
      } finally {
        download.stream.off('error', holdEarlyError);
        download.stream.destroy();
      }
      if (download.contentLength !== undefined && stored.bytes !== download.contentLength) {
        // A truncated body must not pass as a document: fail and let the retry download it again.
        throw ApplicationFailure.retryable(
          `document ${input.file.fileId}: got ${stored.bytes} of ${download.contentLength} bytes`,
          FailureType.OndatoDownloadInterrupted,
        );
      }
      return { ...stored, fileId: input.file.fileId, part: input.file.part, fileType: input.file.fileType };
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
