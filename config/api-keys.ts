/**
 * API_KEYS and API_OPS_KEYS entries: `identity:key`, or a plain `key`. The identity is who the key speaks for
 * (an ops decision records it); a plain key gets a short fingerprint of itself as its identity, which names the
 * key in records and logs without revealing it.
 */
import { createHash } from 'node:crypto';

export interface KeyIdentity {
  /** Who holds the key: recorded as the decider of reviews, cancels, resumes and retries. */
  identity: string;
  key: string;
}

/** An identity before the first `:`; anything else is a plain key. */
const IDENTIFIED_ENTRY = /^([A-Za-z][A-Za-z0-9._-]{0,63}):(.+)$/s;

/** `key-` and 8 hex digits of the key's SHA-256: stable, short, and no help in guessing the key. */
export function keyFingerprint(key: string): string {
  return `key-${createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 8)}`;
}

export function parseKeyEntry(entry: string): KeyIdentity {
  const match = IDENTIFIED_ENTRY.exec(entry);
  if (match) return { identity: match[1], key: match[2] };
  return { identity: keyFingerprint(entry), key: entry };
}

export function parseKeyEntries(entries: readonly string[]): KeyIdentity[] {
  return entries.map(parseKeyEntry);
}

/** The secrets of `entries` (without identities). */
export function keysOf(entries: readonly string[]): string[] {
  return parseKeyEntries(entries).map((entry) => entry.key);
}
