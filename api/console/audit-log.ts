/**
 * The console's audit trail: one JSON line per sign-in, sign-out, view of a case, view of a document and
 * decision. Ids, who, when and what only: never names, birth dates, document numbers or the reviewer's note.
 * A line is written before the page or document is served; when it cannot be written, nothing is served.
 */
import { createHash } from 'node:crypto';
import { appendFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { ConsoleSettings } from '../../config';

export type AuditEvent =
  | 'sign_in'
  | 'sign_in_refused'
  | 'sign_out'
  | 'queue_viewed'
  | 'case_viewed'
  | 'document_viewed'
  | 'decision'
  | 'decision_refused';

export interface AuditEntry {
  event: AuditEvent;
  /** The reviewer's identity (the ops key's identity or the SSO identity). */
  reviewer?: string;
  via?: 'ops_key' | 'sso';
  /** A digest of the session id: ties a session's lines together without carrying the session id itself. */
  session?: string;
  customerId?: string;
  workflowId?: string;
  runId?: string;
  /** Ondato's file id of a viewed document. */
  fileId?: string;
  decision?: 'approved' | 'rejected';
  /** A reason code from the console's list (never free text). */
  reason?: string;
  /** What came of the request: e.g. `applied`, `pending`, `stale`, `wrong_role`. */
  result?: string;
}

export interface AuditLog {
  record(entry: AuditEntry): Promise<void>;
}

export function sessionDigest(sessionId: string): string {
  return createHash('sha256').update(sessionId).digest('hex').slice(0, 16);
}

function line(entry: AuditEntry, now: Date): Record<string, unknown> {
  return { at: now.toISOString(), ...entry };
}

/** The audit line could not be written: the console serves nothing it could not record. */
export class AuditWriteFailed extends Error {
  constructor(cause: unknown) {
    super('the console audit log could not be written', { cause });
    this.name = 'AuditWriteFailed';
  }
}

/** Appends to a file (created with owner-only permissions), one write at a time so lines never interleave. */
export class FileAuditLog implements AuditLog {
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly path: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  record(entry: AuditEntry): Promise<void> {
    const text = `${JSON.stringify(line(entry, this.now()))}\n`;
    const written = this.tail
      .then(() => appendFile(this.path, text, { mode: 0o600 }))
      .catch((error: unknown) => {
        throw new AuditWriteFailed(error);
      });
    this.tail = written.catch(() => undefined);
    return written;
  }
}

/**
 * Into the service log (stdout), as `{"audit": {...}}` lines with the message `console audit`, whatever
 * LOG_LEVEL says: an audit trail is not a diagnostic a quieter log may drop.
 */
export class LoggerAuditLog implements AuditLog {
  private readonly logger: Logger;

  constructor(
    logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.logger = logger.child({}, { level: 'info' });
  }

  record(entry: AuditEntry): Promise<void> {
    this.logger.info({ audit: line(entry, this.now()) }, 'console audit');
    return Promise.resolve();
  }
}

export function createAuditLog(target: ConsoleSettings['auditLog'], logger: Logger): AuditLog {
  return target.target === 'file' ? new FileAuditLog(target.path) : new LoggerAuditLog(logger);
}
