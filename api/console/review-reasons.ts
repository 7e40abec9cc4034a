/**
 * Why a reviewer decided, as a code from a fixed list: the audit log can carry a code, never free text. The
 * workflow's review takes a decision and a note, so the code leads the note (`reason: <code>`), followed by
 * the reviewer's own words.
 */
export const REVIEW_REASONS = {
  documents_verified: 'Documents checked by hand',
  mismatch_explained: 'Data mismatch explained (name change, transliteration, typo)',
  rule_false_positive: 'The failed rule is a false positive',
  data_mismatch: 'The data does not match the document',
  document_invalid: 'The document is invalid or expired',
  fraud_suspected: 'Suspected fraud',
  other: 'Other (say why in the note)',
} as const;

export type ReviewReason = keyof typeof REVIEW_REASONS;
export const REVIEW_REASON_CODES = Object.keys(REVIEW_REASONS) as [ReviewReason, ...ReviewReason[]];

/** The workflow caps a note at 2000 characters; the reason code and separator take the rest. */
export const NOTE_LIMIT = 1_900;

export function reviewNote(reason: ReviewReason, note: string): string {
  const trimmed = note.trim();
  return trimmed ? `reason: ${reason}; ${trimmed}` : `reason: ${reason}`;
}
