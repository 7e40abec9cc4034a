/** What the rest of the service needs from Ondato. `OndatoClient` implements it over HTTP. */
import type { Readable } from 'node:stream';
import type { CreateIdvRequest, IdentityVerification, KycIdentification } from './schemas';

export interface CallOptions {
  /** Cancels the request (activities pass their cancellation signal). */
  signal?: AbortSignal;
}

export interface KycFileDownload {
  /** The body, not buffered: the caller must consume or destroy it. */
  stream: Readable;
  contentType: string;
  contentLength?: number;
}

export interface OndatoApi {
  createIdentityVerification(request: CreateIdvRequest, options?: CallOptions): Promise<{ id: string }>;
  getIdentityVerification(idvId: string, options?: CallOptions): Promise<IdentityVerification>;
  getKycIdentification(kycId: string, options?: CallOptions): Promise<KycIdentification>;
  downloadKycFile(kycId: string, fileId: string, options?: CallOptions): Promise<KycFileDownload>;
  /**
   * Asks Ondato to erase the session's personal and biometric data (`PUT .../redact`). Asynchronous: the IDV
   * shows `redaction.redactedUtc` once done.
   */
  redactIdentityVerification(idvId: string, options?: CallOptions): Promise<void>;
  /** The page the customer opens: `<web flow host>/?id=<idvId>` (white-label hosts differ). */
  customerUrl(idvId: string): string;
}
