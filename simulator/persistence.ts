/**
 * The simulator's sessions on disk, so `npm start` can be stopped and started again without breaking the runs
 * it left open: the identity verifications (status, registration, setup, externalReferenceId, timestamps) and the
 * KYC identifications made from them (document data, rules, status, and the file descriptors whose ids seed the
 * generated images, so a file downloads to the same bytes after a restart).
 *
 * Not persisted, on purpose: issued tokens (clients fetch a new one on the 401), the webhook delivery queue and
 * its log (a pending retry is lost; the service's poll of the IDV finds the outcome anyway), fault rules, webhook
 * settings changed through the control API, and the request counters. A restart starts those afresh.
 *
 * The file is one JSON snapshot, replaced atomically (written to a temporary file, synced, then renamed over the
 * old one), so a crash leaves either the previous snapshot or the new one, never half of one. Changes are
 * coalesced: the first change after a write starts a timer, and everything that changes until it fires goes
 * into one write. The timer waits at least MIN_DELAY_MS and at least WRITE_COST_FACTOR times the last write's
 * duration, so writing costs at most about 1/WRITE_COST_FACTOR of the time however big the state grows.
 * `close()` writes whatever is pending, so a normal stop loses nothing the simulator answered.
 */
import { mkdirSync, readFileSync, renameSync } from 'node:fs';
import { mkdir, open, rename } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { documentOverridesSchema, ruleSchema } from './control-schemas';
import type { Logger } from './log';
import { registrationInputSchema } from './request-schemas';
import type { SimIdentityVerification, SimKycIdentification } from './store';

export const STATE_FORMAT = 'ondato-simulator-state';
export const STATE_VERSION = 1;

/** The shortest wait between a change and its write: a burst of requests becomes one write. */
const MIN_DELAY_MS = 100;
/** The wait is also at least this many times the last write's duration (bounds the share of time spent). */
const WRITE_COST_FACTOR = 4;
/** However slow writes get, a change is on disk within about this long. */
const MAX_DELAY_MS = 10_000;

const text = z.string();
const nullableText = z.string().nullable();

const identityVerificationSchema = z.strictObject({
  id: z.string().min(1),
  status: text,
  setupId: text,
  createdUtc: text,
  modifiedUtc: text,
  externalReferenceId: nullableText,
  registration: registrationInputSchema.nullable(),
  consent: z.strictObject({ id: text, isConsented: z.boolean(), consentedUtc: text }).nullable(),
  kycIdentificationId: nullableText,
  redaction: z.strictObject({ requestedUtc: text, redactedUtc: nullableText }).optional(),
  extraFields: z.record(z.string(), z.unknown()),
}) satisfies z.ZodType<SimIdentityVerification>;

const fileSchema = z.strictObject({
  fileId: z.string().min(1),
  fileName: text,
  fileExtension: text,
  createdUtc: text,
  part: text,
  fileType: text,
  imageKind: z.enum(['document', 'selfie']),
});

const identificationSchema = z.strictObject({
  id: z.string().min(1),
  identityVerificationId: text,
  externalReferenceId: nullableText,
  setupId: text,
  createdUtc: text,
  completedUtc: nullableText,
  status: text,
  statusReason: nullableText,
  isCrossChecked: z.boolean(),
  // Every field present (null when absent): the stored document is complete, unlike an override.
  document: documentOverridesSchema.required(),
  documentFiles: z.array(fileSchema),
  faceFiles: z.array(fileSchema),
  rules: z.array(ruleSchema),
  documentBytes: z.number().int().nonnegative(),
  extraFields: z.record(z.string(), z.unknown()),
}) satisfies z.ZodType<SimKycIdentification>;

export const persistedStateSchema = z.strictObject({
  format: z.literal(STATE_FORMAT),
  version: z.literal(STATE_VERSION),
  savedUtc: text,
  /** Oldest first: the order in which the store evicts. */
  identityVerifications: z.array(identityVerificationSchema),
  identifications: z.array(identificationSchema),
});

export type PersistedState = z.infer<typeof persistedStateSchema>;

export interface StateSessions {
  identityVerifications: SimIdentityVerification[];
  identifications: SimKycIdentification[];
}

export interface StateFileOptions {
  /** The snapshot to write; called at the moment of writing. */
  snapshot: () => StateSessions;
  /** Routine events (loaded, saved). */
  logEvent: Logger;
  /** Problems a person should see: a corrupt file set aside, a failing write. */
  warn: Logger;
}

export class StateFile {
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private dirty = false;
  private closed = false;
  /** False when the file could not be set aside: then it is left alone and nothing is written. */
  private enabled = true;
  private lastWriteMs = 0;
  private failing = false;
  private readonly file: string;
  private readonly temporary: string;

  constructor(
    file: string,
    private readonly options: StateFileOptions,
  ) {
    this.file = path.resolve(file);
    this.temporary = `${this.file}.tmp-${process.pid}`;
  }

  /**
   * Reads the file at start. A missing file is an empty simulator; an unreadable, unparsable or invalid one is
   * moved aside to `<file>.corrupt-<timestamp>` with one warning, and the simulator starts empty.
   */
  load(): StateSessions {
    const empty: StateSessions = { identityVerifications: [], identifications: [] };
    const startedAt = Date.now();
    let problem: string;
    try {
      const parsed = persistedStateSchema.safeParse(JSON.parse(readFileSync(this.file, 'utf8')));
      if (parsed.success) {
        const { identityVerifications, identifications } = parsed.data;
        this.options.logEvent('state.loaded', {
          file: this.file,
          identityVerifications: identityVerifications.length,
          identifications: identifications.length,
          durationMs: Date.now() - startedAt,
        });
        return { identityVerifications, identifications };
      }
      const issue = parsed.error.issues[0];
      problem = `invalid at ${issue.path.join('.') || '(root)'}: ${issue.message}`;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        this.options.logEvent('state.empty', { file: this.file });
        return empty;
      }
      problem = error instanceof Error ? error.message : String(error);
    }

    const keptAs = `${this.file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    try {
      mkdirSync(path.dirname(keptAs), { recursive: true });
      renameSync(this.file, keptAs);
      this.options.warn('state.corrupt', { file: this.file, problem, keptAs, action: 'started empty' });
    } catch (error) {
      // Writing would replace the only copy of the file: better run in memory and leave it for a person.
      this.enabled = false;
      this.options.warn('state.corrupt', {
        file: this.file,
        problem,
        keptAs: null,
        action: `started empty, in memory only: could not move the file aside (${(error as Error).message})`,
      });
    }
    return empty;
  }

  /** Something changed: it will be written with whatever else changes shortly. */
  changed(): void {
    if (!this.enabled) return;
    this.dirty = true;
    if (this.closed || this.timer || this.writing) return;
    const delay = Math.min(MAX_DELAY_MS, Math.max(MIN_DELAY_MS, WRITE_COST_FACTOR * this.lastWriteMs));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.write();
    }, delay);
    // A pending write must not keep a process alive that has nothing else to do; close() writes it anyway.
    this.timer.unref();
  }

  /** Writes pending changes now and waits for the file to be in place (one attempt: a failure was warned). */
  async flush(): Promise<void> {
    this.cancelTimer();
    if (this.writing) await this.writing;
    // The write that just ended may have scheduled the changes made during it.
    this.cancelTimer();
    if (this.dirty) await this.write();
  }

  /** The last write: after it, changes are no longer scheduled (the simulator is stopping). */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  private write(): Promise<void> {
    if (this.writing) return this.writing;
    if (!this.dirty || !this.enabled) return Promise.resolve();
    this.dirty = false;
    const startedAt = Date.now();
    const { identityVerifications, identifications } = this.options.snapshot();
    const state: PersistedState = {
      format: STATE_FORMAT,
      version: STATE_VERSION,
      savedUtc: new Date().toISOString(),
      identityVerifications,
      identifications,
    };
    // Serialised now, synchronously: the snapshot is consistent whatever requests arrive during the I/O.
    const body = JSON.stringify(state);
    const done = this.replaceFile(body)
      .then(
        () => {
          this.lastWriteMs = Date.now() - startedAt;
          if (this.failing) this.options.warn('state.write_recovered', { file: this.file });
          this.failing = false;
          this.options.logEvent('state.saved', {
            identityVerifications: identityVerifications.length,
            identifications: identifications.length,
            bytes: Buffer.byteLength(body),
            durationMs: this.lastWriteMs,
          });
        },
        (error: unknown) => {
          // Kept dirty and tried again later, backing off (1 s, 2 s, 4 s, ... up to MAX_DELAY_MS); warned once
          // until a write succeeds.
          this.dirty = true;
          this.lastWriteMs = Math.max(
            2 * this.lastWriteMs,
            Date.now() - startedAt,
            1_000 / WRITE_COST_FACTOR,
          );
          if (!this.failing) {
            this.options.warn('state.write_failed', {
              file: this.file,
              error: error instanceof Error ? error.message : String(error),
            });
          }
          this.failing = true;
        },
      )
      .finally(() => {
        this.writing = undefined;
        // Changes that arrived during the write (or a failed write) get the next, coalesced, write.
        if (this.dirty && !this.closed) this.changed();
      });
    this.writing = done;
    return done;
  }

  private cancelTimer(): void {
    if (!this.timer) return;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async replaceFile(body: string): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true });
    const handle = await open(this.temporary, 'w', 0o600);
    try {
      await handle.writeFile(body, 'utf8');
      await handle.datasync();
    } finally {
      await handle.close();
    }
    await rename(this.temporary, this.file);
  }
}
