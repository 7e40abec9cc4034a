/**
 * The simulator's state: identity verifications and the KYC identifications made from them. Held in memory;
 * whoever changes an entry calls `changed()`, which lets ./persistence.ts write it to a file when configured.
 */
import { randomUUID } from 'node:crypto';
import type { KycRule } from './control-schemas';
import type { ImageKind } from './images';
import type { CreateIdvInput, RegistrationInput } from './request-schemas';

export interface SimIdentityVerification {
  id: string;
  status: string;
  setupId: string;
  createdUtc: string;
  modifiedUtc: string;
  externalReferenceId: string | null;
  registration: RegistrationInput | null;
  consent: { id: string; isConsented: boolean; consentedUtc: string } | null;
  kycIdentificationId: string | null;
  /**
   * Set once a redaction was asked for (`PUT .../redact`): Ondato erases asynchronously, so the IDV shows
   * `redaction { redactedUtc }` only once the erasure is done. Absent in state files written before redaction.
   */
  redaction?: { requestedUtc: string; redactedUtc: string | null };
  /** Fields a test added to the GET shape (unknown-field tolerance). */
  extraFields: Record<string, unknown>;
}

export interface SimDocument {
  type: string | null;
  fullName: string | null;
  firstName: string | null;
  middleName: string | null;
  lastName: string | null;
  dateOfBirth: string | null;
  personalCode: string | null;
  documentNumber: string | null;
  dateOfIssue: string | null;
  dateOfExpiration: string | null;
  nationalityIso3: string | null;
  countryIso3: string | null;
  gender: string | null;
}

export interface SimFile {
  fileId: string;
  fileName: string;
  fileExtension: string;
  createdUtc: string;
  part: string;
  fileType: string;
  /** What the generated picture shows. */
  imageKind: ImageKind;
}

export interface SimKycIdentification {
  id: string;
  identityVerificationId: string;
  externalReferenceId: string | null;
  setupId: string;
  createdUtc: string;
  completedUtc: string | null;
  status: string;
  statusReason: string | null;
  isCrossChecked: boolean;
  document: SimDocument;
  documentFiles: SimFile[];
  faceFiles: SimFile[];
  rules: KycRule[];
  /** Size of each of its files when downloaded. */
  documentBytes: number;
  extraFields: Record<string, unknown>;
}

/** Every Ondato setup has versions; the simulator has one. */
export const SETUP_VERSION_ID = '00000000-0000-4000-8000-00000000000a';

/** Keeps the newest entries when a long benchmark creates more sessions than a test ever looks at. */
const MAX_VERIFICATIONS = 50_000;

export class SimulatorStore {
  private readonly verifications = new Map<string, SimIdentityVerification>();
  private readonly identifications = new Map<string, SimKycIdentification>();

  constructor(
    readonly applicationId: string,
    private readonly onChange: () => void = () => undefined,
  ) {}

  /** Puts back what a state file held (oldest first), before the simulator takes requests. */
  restore(state: {
    identityVerifications: SimIdentityVerification[];
    identifications: SimKycIdentification[];
  }): void {
    for (const kyc of state.identifications) this.identifications.set(kyc.id, kyc);
    for (const idv of state.identityVerifications) this.verifications.set(idv.id, idv);
    this.evictOldest();
  }

  /** Call after changing an entry in place (a status, a decision, a patch). */
  changed(): void {
    this.onChange();
  }

  createIdentityVerification(input: CreateIdvInput, now: Date): SimIdentityVerification {
    const timestamp = now.toISOString();
    const idv: SimIdentityVerification = {
      id: randomUUID(),
      status: 'Pending',
      setupId: input.setupId,
      createdUtc: timestamp,
      modifiedUtc: timestamp,
      externalReferenceId: input.externalReferenceId ?? null,
      registration: input.registration ?? null,
      consent: null,
      kycIdentificationId: null,
      extraFields: {},
    };
    this.verifications.set(idv.id, idv);
    this.evictOldest();
    this.changed();
    return idv;
  }

  identityVerification(id: string): SimIdentityVerification | undefined {
    return this.verifications.get(id);
  }

  identityVerifications(): SimIdentityVerification[] {
    return [...this.verifications.values()];
  }

  identificationList(): SimKycIdentification[] {
    return [...this.identifications.values()];
  }

  addIdentification(kyc: SimKycIdentification): void {
    this.identifications.set(kyc.id, kyc);
    this.changed();
  }

  identification(id: string): SimKycIdentification | undefined {
    return this.identifications.get(id);
  }

  private evictOldest(): void {
    while (this.verifications.size > MAX_VERIFICATIONS) {
      const oldest = this.verifications.values().next().value;
      if (!oldest) return;
      this.verifications.delete(oldest.id);
      if (oldest.kycIdentificationId) this.identifications.delete(oldest.kycIdentificationId);
    }
  }
}

export function findFile(kyc: SimKycIdentification, fileId: string): SimFile | undefined {
  return [...kyc.documentFiles, ...kyc.faceFiles].find((file) => file.fileId === fileId);
}
