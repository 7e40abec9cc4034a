import { decide, normalizeForComparison, POLICY_VERSION, type PolicyInput } from '../../workflows/policy';
import type { KycSummary, StoredDocument } from '../../contract';

const registration = {
  firstName: 'Jūratė',
  lastName: 'Kazlauskienė',
  dateOfBirth: '1990-04-01',
  personalCode: '49004010000',
};

function kyc(overrides: Partial<KycSummary> = {}): KycSummary {
  return {
    kycId: 'kyc-1',
    status: 'Approved',
    rules: [{ name: 'SelfieAndDocumentFacesMatch', status: 'Success' }],
    document: {
      type: 'IdCard',
      firstName: 'JURATE',
      lastName: 'KAZLAUSKIENE',
      dateOfBirth: '1990-04-01',
      personalCode: '49004010000',
      dateOfExpiration: '2031-01-01',
    },
    files: [
      { fileId: 'f-front', part: 'Front', fileType: 'DocumentPhoto' },
      { fileId: 'f-back', part: 'Back', fileType: 'DocumentPhoto' },
    ],
    ...overrides,
  };
}

function stored(...fileIds: string[]): StoredDocument[] {
  return fileIds.map((fileId) => ({
    key: `c/k/${fileId}.jpg`,
    sha256: 'x'.repeat(64),
    bytes: 1,
    contentType: 'image/jpeg',
    fileId,
  }));
}

const base: PolicyInput = {
  kyc: kyc(),
  registration,
  storedDocuments: stored('f-front', 'f-back'),
  today: '2026-11-26',
};

describe('decision policy', () => {
  const cases: Array<[string, Partial<PolicyInput>, string, string[]]> = [
    ['Ondato approved, rules pass, files stored, data matches', {}, 'approved', ['ondato_approved']],
    [
      'Ondato rejected with a reason',
      { kyc: kyc({ status: 'Rejected', statusReason: 'PoorPhotoQuality' }) },
      'rejected',
      ['ondato_rejected:PoorPhotoQuality'],
    ],
    [
      'Ondato rejected without a reason',
      { kyc: kyc({ status: 'Rejected' }) },
      'rejected',
      ['ondato_rejected:Unspecified'],
    ],
    [
      'still awaiting Ondato',
      { kyc: kyc({ status: 'Awaiting' }) },
      'manual_review',
      ['kyc_status_not_final:Awaiting'],
    ],
    [
      'an unknown status',
      { kyc: kyc({ status: 'SomethingNew' }) },
      'manual_review',
      ['kyc_status_not_final:SomethingNew'],
    ],
    [
      'a failed rule',
      { kyc: kyc({ rules: [{ name: 'SelfieAndDocumentFacesMatch', status: 'Fail' }] }) },
      'manual_review',
      ['rule_failed:SelfieAndDocumentFacesMatch'],
    ],
    [
      'a file not stored',
      { storedDocuments: stored('f-front') },
      'manual_review',
      ['file_not_stored:f-back'],
    ],
    [
      'no document photo at all',
      { kyc: kyc({ files: [{ fileId: 'selfie', fileType: 'Selfie' }] }), storedDocuments: stored('selfie') },
      'manual_review',
      ['missing_document_photo'],
    ],
    [
      'an expired document',
      { kyc: kyc({ document: { ...kyc().document, dateOfExpiration: '2026-11-25' } }) },
      'manual_review',
      ['document_expired'],
    ],
    [
      'a document expiring today is still valid',
      { kyc: kyc({ document: { ...kyc().document, dateOfExpiration: '2026-11-26T00:00:00' } }) },
      'approved',
      ['ondato_approved'],
    ],
    [
      'a different birth date',
      { kyc: kyc({ document: { ...kyc().document, dateOfBirth: '1991-04-01' } }) },
      'manual_review',
      ['data_mismatch:dateOfBirth'],
    ],
    [
      'a different last name and personal code',
      { kyc: kyc({ document: { ...kyc().document, lastName: 'Petraitienė', personalCode: '1' } }) },
      'manual_review',
      ['data_mismatch:lastName', 'data_mismatch:personalCode'],
    ],
    ['fields missing on one side are not a mismatch', { registration: {} }, 'approved', ['ondato_approved']],
  ];

  it.each(cases)('%s', (_name, overrides, outcome, reasons) => {
    expect(decide({ ...base, ...overrides })).toEqual({ outcome, reasons, policyVersion: POLICY_VERSION });
  });

  it('compares names without case, accents or punctuation', () => {
    expect(normalizeForComparison('  Jūratė-Marija ')).toBe(normalizeForComparison('JURATE MARIJA'));
    expect(normalizeForComparison('Ana')).not.toBe(normalizeForComparison('Anna'));
  });
});
