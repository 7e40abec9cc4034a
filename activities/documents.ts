/**
 * Copying Ondato's document files into our storage: one file (`copyDocument`), or every file of a KYC
 * identification in one activity (`storeDocuments`), a few at a time, resuming after the files an earlier
 * attempt already stored (they travel in its heartbeats). One activity for all files spares the run a
 * scheduled/started/completed triple and a workflow task per file.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType, type KycSummary, type StoredDocument } from '../contract';
import type { OndatoApi } from '../ondato/api';
import { OndatoError } from '../ondato/errors';
import type { DocumentStore } from '../storage/document-store';

export type KycFileRef = KycSummary['files'][number];

export interface StoreDocumentInput {
  customerId: string;
  kycId: string;
  file: KycFileRef;
}

export interface StoreDocumentsInput {
  customerId: string;
  kycId: string;
  files: KycFileRef[];
}

/** What every heartbeat of `storeDocuments` carries: the files stored so far, so a retry skips them. */
export interface StoreDocumentsProgress {
  stored: StoredDocument[];
  bytes: number;
}

/** Files copied at once: enough to overlap latency, not enough to flood one worker. */
export const DOCUMENT_CONCURRENCY = 3;

/** Heartbeats are throttled by the SDK, but there is no point in calling it for every 64 KiB chunk. */
const HEARTBEAT_EVERY_BYTES = 1024 * 1024;

export interface DocumentDeps {
  ondato: OndatoApi;
  documents: DocumentStore;
  /** Runs an Ondato call under the activities' retry policy for Ondato's refusals. */
  ondatoCall<T>(call: (signal: AbortSignal) => Promise<T>): Promise<T>;
}

function extensionOf(file: KycFileRef, contentType: string): string {
  const fromOndato = file.fileExtension?.replace(/^\./, '').toLowerCase();
  if (fromOndato && /^[a-z0-9]{1,8}$/.test(fromOndato)) return fromOndato;
  return contentType === 'image/png' ? 'png' : contentType === 'application/pdf' ? 'pdf' : 'jpg';
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

/** Streams one file from Ondato into the store; `onBytes` sees the bytes written so far. */
export async function copyDocument(
  deps: DocumentDeps,
  input: StoreDocumentInput,
  options: { signal: AbortSignal; onBytes(bytes: number): void },
): Promise<StoredDocument> {
  const { signal } = options;
  const download = await deps.ondatoCall((callSignal) =>
    deps.ondato.downloadKycFile(input.kycId, input.file.fileId, { signal: callSignal }),
  );
  const key = `${input.customerId}/${input.kycId}/${input.file.fileId}.${extensionOf(input.file, download.contentType)}`;
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
      onProgress: options.onBytes,
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
}

/** The one-file activity: heartbeats every MiB while the file streams. */
export function storeOneDocument(deps: DocumentDeps, input: StoreDocumentInput): Promise<StoredDocument> {
  const context = Context.current();
  let lastBeat = 0;
  return copyDocument(deps, input, {
    signal: context.cancellationSignal,
    onBytes: (bytes) => {
      if (bytes - lastBeat < HEARTBEAT_EVERY_BYTES) return;
      lastBeat = bytes;
      context.heartbeat({ bytes });
    },
  });
}

function storedBefore(details: unknown): StoredDocument[] {
  if (typeof details !== 'object' || details === null) return [];
  const { stored } = details as { stored?: unknown };
  return Array.isArray(stored) ? (stored as StoredDocument[]) : [];
}

/**
 * The all-files activity: copies the files not stored by an earlier attempt, `DOCUMENT_CONCURRENCY` at a time,
 * and returns them all sorted by key. The first failure stops the other copies and fails the attempt; the
 * files stored until then are in its last heartbeat, so the retry does not copy them again.
 */
export async function storeAllDocuments(
  deps: DocumentDeps,
  input: StoreDocumentsInput,
): Promise<StoredDocument[]> {
  const context = Context.current();
  const wanted = new Set(input.files.map((file) => file.fileId));
  const stored = storedBefore(context.info.heartbeatDetails).filter((doc) => wanted.has(doc.fileId));
  const done = new Set(stored.map((doc) => doc.fileId));
  const queue = input.files.filter((file) => !done.has(file.fileId));
  const stop = new AbortController();
  const onCancel = (): void => stop.abort(context.cancellationSignal.reason);
  context.cancellationSignal.addEventListener('abort', onCancel, { once: true });
  let streaming = 0;
  let lastBeat = 0;
  const beat = (force: boolean): void => {
    const bytes = stored.reduce((sum, doc) => sum + doc.bytes, 0) + streaming;
    if (!force && bytes - lastBeat < HEARTBEAT_EVERY_BYTES) return;
    lastBeat = bytes;
    const progress: StoreDocumentsProgress = { stored: [...stored], bytes };
    context.heartbeat(progress);
  };
  let failure: unknown;
  const copyNext = async (): Promise<void> => {
    for (let file = queue.shift(); file && failure === undefined; file = queue.shift()) {
      let counted = 0;
      try {
        const document = await copyDocument(
          deps,
          { customerId: input.customerId, kycId: input.kycId, file },
          {
            signal: stop.signal,
            onBytes: (bytes) => {
              streaming += bytes - counted;
              counted = bytes;
              beat(false);
            },
          },
        );
        stored.push(document);
        beat(true);
      } catch (error) {
        failure ??= error;
        stop.abort(error);
      } finally {
        streaming -= counted;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(DOCUMENT_CONCURRENCY, queue.length) }, copyNext));
  } finally {
    context.cancellationSignal.removeEventListener('abort', onCancel);
  }
  if (failure !== undefined) throw failure;
  return [...stored].sort((a, b) => a.key.localeCompare(b.key));
}
