/**
 * The custom search attributes of an onboarding run, listed once. Ids, stages and outcomes only: never personal
 * data, because ops can list and filter them in the Temporal UI.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const OnboardingStageKey = defineSearchAttributeKey('OnboardingStage', SearchAttributeType.KEYWORD);
export const CustomerIdKey = defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD);
export const OndatoIdvIdKey = defineSearchAttributeKey('OndatoIdvId', SearchAttributeType.KEYWORD);
export const KycStatusKey = defineSearchAttributeKey('KycStatus', SearchAttributeType.KEYWORD);
export const OutcomeKey = defineSearchAttributeKey('Outcome', SearchAttributeType.KEYWORD);

/** Every key above: what a Temporal server must have registered before the first run starts. */
export const SEARCH_ATTRIBUTE_KEYS = [
  OnboardingStageKey,
  CustomerIdKey,
  OndatoIdvIdKey,
  KycStatusKey,
  OutcomeKey,
] as const;

/** The Temporal CLI spells types in its own words (`--search-attribute CustomerId=Keyword`). */
const CLI_TYPE_NAMES: Record<SearchAttributeType, string> = {
  [SearchAttributeType.TEXT]: 'Text',
  [SearchAttributeType.KEYWORD]: 'Keyword',
  [SearchAttributeType.INT]: 'Int',
  [SearchAttributeType.DOUBLE]: 'Double',
  [SearchAttributeType.BOOL]: 'Bool',
  [SearchAttributeType.DATETIME]: 'Datetime',
  [SearchAttributeType.KEYWORD_LIST]: 'KeywordList',
};

/** `Name=Type` for each key, as `temporal server start-dev --search-attribute` and `operator` commands take it. */
export function searchAttributeCliSpecs(): string[] {
  return SEARCH_ATTRIBUTE_KEYS.map((key) => `${key.name}=${CLI_TYPE_NAMES[key.type]}`);
}
