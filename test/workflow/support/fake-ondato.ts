/**
 * Stubbed onboarding activities over a scripted Ondato: the test moves the verification through its states
 * (customer finishes, Ondato decides) and the activities answer from that script. Every call is recorded, and a
 * test can hold a call open (`hold`) to act while it is in flight. No production logic is copied: the fake only
 * answers what Ondato, the store and the backend would.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { OnboardingActivities } from '../../../activities';
import type { CallbackEvent, KycSummary, Registration } from '../../../contract';

type ActivityName = keyof OnboardingActivities;
type KycFileRef = KycSummary['files'][number];

/** A customer whose registration matches the document the fake KYC carries. */
export const REGISTRATION: Registration = {
  firstName: 'Ieva',
  lastName: 'Kazlauskienė',
  dateOfBirth: '1990-05-17',
  personalCode: '49005170000',
  email: 'ieva@example.com',
  countryCode: 'LT',
};

/** Listed out of key order on purpose, so a sorted result proves the workflow sorted it. */
export const DEFAULT_FILES: KycFileRef[] = [
  { fileId: 'f-selfie', part: 'FaceFront', fileType: 'FacePhoto', fileExtension: 'jpg' },
  { fileId: 'f-doc-front', part: 'FrontSide', fileType: 'DocumentPhoto', fileExtension: 'jpg' },
  { fileId: 'f-doc-back', part: 'BackSide', fileType: 'DocumentPhoto', fileExtension: 'jpg' },
];

export type IdvStatus = 'Unknown' | 'Started' | 'Completed' | 'Expired' | 'Aborted';

/** A call the test holds open: it resolves `entered` when the activity starts and waits for `release()`. */
export interface HeldCall {
  entered: Promise<void>;
  release(): void;
}

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
}
function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

export class FakeOndato {
  /** The IDV the next create returns; a test moves it on to hand out a fresh session (a relink). */
  idvId: string;
  readonly kycId: string;
  idvStatus: IdvStatus = 'Started';
  /** Ondato attaches the KYC id to the IDV once the customer finished. */
  kycAttached = false;
  kyc: Omit<KycSummary, 'kycId' | 'idvId'> = {
    status: 'Approved',
    rules: [{ name: 'FaceMatch', status: 'Success' }],
    document: {
      type: 'IdCard',
      firstName: REGISTRATION.firstName,
      lastName: REGISTRATION.lastName,
      dateOfBirth: REGISTRATION.dateOfBirth,
      personalCode: REGISTRATION.personalCode,
      dateOfExpiration: '2099-01-01',
    },
    files: DEFAULT_FILES,
  };
  readonly calls: Record<ActivityName, number> = {
    createVerification: 0,
    getVerification: 0,
    getIdentification: 0,
    redactExtraVerification: 0,
    storeDocument: 0,
    storeDocuments: 0,
    notifyBackend: 0,
  };
  readonly callbacks: CallbackEvent[] = [];
  /** What the create call reports beside the IDV it returns (ids of earlier attempts, unanswered ones). */
  createdExtras: { extraIdvIds?: string[]; unansweredCreates?: number } = {};
  /** IDV ids the run asked to redact. */
  readonly redactions: string[] = [];
  /** Downloads running right now, and the most ever seen at once. */
  downloadsInFlight = 0;
  maxDownloadsInFlight = 0;
  /** Real milliseconds each download takes, by file id (default 0). */
  downloadDelayMs: Record<string, number> = {};
  /** File ids in the order their downloads finished. */
  readonly downloadsFinished: string[] = [];
  /** When set, the activity throws this instead of answering. */
  readonly failures: Partial<Record<ActivityName, () => Error>> = {};
  private readonly held = new Map<ActivityName, { entered: Deferred; released: Deferred }>();
  private readonly allHolds: Deferred[] = [];
  private readonly listeners = new Set<() => void>();

  constructor(readonly customerId: string) {
    this.idvId = `idv-${customerId}`;
    this.kycId = `kyc-${customerId}`;
  }

  /** The customer went through the flow; Ondato's identification has the status given (or the script's). */
  customerFinishes(kyc: Partial<FakeOndato['kyc']> = {}): void {
    this.idvStatus = 'Completed';
    this.kycAttached = true;
    this.kyc = { ...this.kyc, ...kyc };
  }

  /** The next call of `name` waits until released; a test acts while it is in flight. */
  hold(name: ActivityName): HeldCall {
    const slot = { entered: deferred(), released: deferred() };
    this.held.set(name, slot);
    this.allHolds.push(slot.released);
    return { entered: slot.entered.promise, release: () => slot.released.resolve() };
  }

  /** Resolves once `predicate` holds, re-checked after every activity call (real time, default 10 s). */
  until(predicate: (fake: this) => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    if (predicate(this)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(
          new Error(
            `timed out after ${timeoutMs} ms waiting for ${what}; calls: ${JSON.stringify(this.calls)}`,
          ),
        );
      }, timeoutMs);
      const check = (): void => {
        if (!predicate(this)) return;
        clearTimeout(timer);
        this.listeners.delete(check);
        resolve();
      };
      this.listeners.add(check);
    });
  }

  /** Lets every held call go (the scenario does this when a test ends, passed or not). */
  releaseAll(): void {
    for (const released of this.allHolds) released.resolve();
    this.held.clear();
  }

  callbackTypes(): CallbackEvent['type'][] {
    return this.callbacks.map((event) => event.type);
  }

  private async enter(name: ActivityName): Promise<void> {
    this.calls[name] += 1;
    this.notify();
    const slot = this.held.get(name);
    if (slot) {
      this.held.delete(name);
      slot.entered.resolve();
      await slot.released.promise;
    }
    const failure = this.failures[name];
    if (failure) throw failure();
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  activities(): OnboardingActivities {
    return {
      createVerification: async (input) => {
        await this.enter('createVerification');
        if (input.customerId !== this.customerId) {
          throw ApplicationFailure.nonRetryable(`unexpected customer ${input.customerId}`, 'TestMisuse');
        }
        return {
          idvId: this.idvId,
          customerUrl: `https://idv.example.test/?id=${this.idvId}`,
          ...this.createdExtras,
        };
      },
      // Ondato answers with the state at the moment the request arrives, however long the answer then takes.
      getVerification: async (idvId) => {
        const snapshot = { idvId, status: this.idvStatus, kycId: this.kycAttached ? this.kycId : undefined };
        await this.enter('getVerification');
        return snapshot;
      },
      getIdentification: async (kycId) => {
        const snapshot = { ...this.kyc, kycId, idvId: this.idvId };
        await this.enter('getIdentification');
        return snapshot;
      },
      redactExtraVerification: async (input) => {
        await this.enter('redactExtraVerification');
        this.redactions.push(input.idvId);
        return { disposition: 'redaction_requested' };
      },
      storeDocument: async (input) => {
        await this.enter('storeDocument');
        this.downloadsInFlight += 1;
        this.maxDownloadsInFlight = Math.max(this.maxDownloadsInFlight, this.downloadsInFlight);
        try {
          const delay = this.downloadDelayMs[input.file.fileId] ?? 0;
          if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
        } finally {
          this.downloadsInFlight -= 1;
        }
        this.downloadsFinished.push(input.file.fileId);
        this.notify();
        return {
          key: `${input.customerId}/${input.kycId}/${input.file.fileId}.${input.file.fileExtension ?? 'jpg'}`,
          sha256: `sha256-of-${input.file.fileId}`,
          bytes: 1024,
          contentType: 'image/jpeg',
          fileId: input.file.fileId,
          part: input.file.part,
          fileType: input.file.fileType,
        };
      },
      // As the real activity runs it: every file through the one-file fake (counted there), three at a time.
      storeDocuments: async (input) => {
        await this.enter('storeDocuments');
        const storeOne = this.activities().storeDocument;
        const queue = [...input.files];
        const stored: Awaited<ReturnType<typeof storeOne>>[] = [];
        const copyNext = async (): Promise<void> => {
          for (let file = queue.shift(); file; file = queue.shift()) {
            stored.push(await storeOne({ customerId: input.customerId, kycId: input.kycId, file }));
          }
        };
        await Promise.all(Array.from({ length: Math.min(3, queue.length) }, copyNext));
        return stored.sort((a, b) => a.key.localeCompare(b.key));
      },
      notifyBackend: async (input) => {
        await this.enter('notifyBackend');
        this.callbacks.push(input.event);
        this.notify();
        return { delivered: true, deliveredAt: new Date().toISOString() };
      },
    };
  }
}
