/**
 * The custom search attributes of an onboarding run. Ids, stages and outcomes only: never personal data,
 * because ops can list and filter them in the Temporal UI.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const OnboardingStageKey = defineSearchAttributeKey('OnboardingStage', SearchAttributeType.KEYWORD);
export const CustomerIdKey = defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD);
export const OndatoIdvIdKey = defineSearchAttributeKey('OndatoIdvId', SearchAttributeType.KEYWORD);
export const KycStatusKey = defineSearchAttributeKey('KycStatus', SearchAttributeType.KEYWORD);
export const OutcomeKey = defineSearchAttributeKey('Outcome', SearchAttributeType.KEYWORD);

/** Name → type, in the form the dev server's `--search-attribute` flag and the test server expect. */
export const CUSTOM_SEARCH_ATTRIBUTES = {
  OnboardingStage: 'Keyword',
  CustomerId: 'Keyword',
  OndatoIdvId: 'Keyword',
  KycStatus: 'Keyword',
  Outcome: 'Keyword',
} as const;
