/**
 * Builds the KYC identification a completed verification produces. The document data defaults to what the
 * registration said (so a normal run "matches"), with a document valid for years; a test overrides any field.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { CompleteRequest, KycRule } from './control-schemas';
import type { SimDocument, SimFile, SimIdentityVerification, SimKycIdentification } from './store';

const ISO3_BY_ISO2: Record<string, string> = {
  LT: 'LTU',
  LV: 'LVA',
  EE: 'EST',
  PL: 'POL',
  DE: 'DEU',
  FR: 'FRA',
  ES: 'ESP',
  IT: 'ITA',
  NL: 'NLD',
  GB: 'GBR',
  IE: 'IRL',
  US: 'USA',
  UA: 'UKR',
  FI: 'FIN',
  SE: 'SWE',
};

/** Documents with a single data page; every other type has a front and a back. */
const SINGLE_PAGE_TYPES = new Set(['Passport']);

export interface IdentificationSpec {
  idv: SimIdentityVerification;
  status: string;
  statusReason: string | null;
  request: CompleteRequest;
  defaultDocumentBytes: number;
  now: Date;
}

export function buildIdentification(spec: IdentificationSpec): SimKycIdentification {
  const { idv, now, request } = spec;
  const id = randomUUID();
  const createdUtc = now.toISOString();
  const document = { ...defaultDocument(idv, id, now), ...request.document };
  if (request.document?.fullName === undefined) document.fullName = fullName(document);
  const decided = spec.status !== 'Awaiting';
  return {
    id,
    identityVerificationId: idv.id,
    externalReferenceId: idv.externalReferenceId,
    setupId: idv.setupId,
    createdUtc,
    completedUtc: decided ? createdUtc : null,
    status: spec.status,
    statusReason: spec.statusReason,
    isCrossChecked: false,
    document,
    documentFiles: documentFiles(document.type, createdUtc),
    faceFiles: [file('Selfie', 'Selfie', 'selfie', createdUtc)],
    rules: request.rules ?? defaultRules(spec.statusReason),
    documentBytes: request.documentBytes ?? spec.defaultDocumentBytes,
    extraFields: {},
  };
}

function defaultDocument(idv: SimIdentityVerification, kycId: string, now: Date): SimDocument {
  const registration = idv.registration ?? {};
  const iso3 = registration.countryCode ? (ISO3_BY_ISO2[registration.countryCode] ?? null) : 'LTU';
  return {
    type: 'IdCard',
    fullName: null,
    firstName: registration.firstName ?? 'Alex',
    middleName: registration.middleName ?? null,
    lastName: registration.lastName ?? 'Example',
    dateOfBirth: registration.dateOfBirth ?? '1990-01-01',
    personalCode: registration.personalCode ?? '39001010000',
    documentNumber: documentNumber(kycId),
    dateOfIssue: shiftYears(now, -2),
    dateOfExpiration: shiftYears(now, 8),
    nationalityIso3: iso3,
    countryIso3: iso3,
    gender: null,
  };
}

function fullName(document: SimDocument): string | null {
  const parts = [document.firstName, document.middleName, document.lastName].filter((part) => !!part);
  return parts.length > 0 ? parts.join(' ') : null;
}

function documentNumber(kycId: string): string {
  const digits = createHash('sha256').update(kycId).digest().readUInt32BE(0) % 10_000_000;
  return `AB${String(digits).padStart(7, '0')}`;
}

function shiftYears(now: Date, years: number): string {
  const date = new Date(now);
  date.setUTCFullYear(date.getUTCFullYear() + years);
  return date.toISOString().slice(0, 10);
}

function documentFiles(type: string | null, createdUtc: string): SimFile[] {
  if (type && SINGLE_PAGE_TYPES.has(type)) return [file('DataPage', 'DocumentPhoto', 'document', createdUtc)];
  return [
    file('Front', 'DocumentPhoto', 'document', createdUtc),
    file('Back', 'DocumentPhoto', 'document', createdUtc),
  ];
}

function file(part: string, fileType: string, imageKind: SimFile['imageKind'], createdUtc: string): SimFile {
  return {
    fileId: randomUUID(),
    fileName: `${part.toLowerCase()}.jpg`,
    fileExtension: 'jpg',
    createdUtc,
    part,
    fileType,
    imageKind,
  };
}

function defaultRules(statusReason: string | null): KycRule[] {
  return [
    {
      name: 'SelfieAndDocumentFacesMatch',
      status: statusReason === 'FacesDoesNotMatch' ? 'Fail' : 'Success',
    },
    { name: 'DocumentIsNotExpired', status: statusReason === 'DocumentIsExpired' ? 'Fail' : 'Success' },
  ];
}
