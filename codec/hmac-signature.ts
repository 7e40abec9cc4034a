/**
 * Timestamped HMAC-SHA256 signatures over a raw body: `t=<unix seconds>, <label>=<hex HMAC of "<t>.<body>">`.
 * One scheme, two labels: Ondato signs its webhooks with `s` (checked by the API), we sign callbacks to the
 * product backend with `v1` (checked by the backend). The timestamp inside the MAC bounds replays.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export type SignatureCheck = 'valid' | 'missing' | 'malformed' | 'stale' | 'mismatch';

export interface SignatureScheme {
  /** The name of the MAC field: `s` for Ondato's webhooks, `v1` for our callbacks. */
  label: string;
}

export const ONDATO_WEBHOOK_SIGNATURE: SignatureScheme = { label: 's' };
export const CALLBACK_SIGNATURE: SignatureScheme = { label: 'v1' };

function mac(secret: string, body: string | Buffer, timestampSeconds: number): Buffer {
  return createHmac('sha256', secret).update(`${timestampSeconds}.`).update(body).digest();
}

/** Compares digests of both sides, so neither length nor content leaks through timing. */
export function constantTimeEqual(a: string | Buffer, b: string | Buffer): boolean {
  const digest = (value: string | Buffer): Buffer => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(a), digest(b));
}

export function sign(
  scheme: SignatureScheme,
  secret: string,
  body: string | Buffer,
  timestampSeconds: number,
): string {
  return `t=${timestampSeconds}, ${scheme.label}=${mac(secret, body, timestampSeconds).toString('hex')}`;
}

export function checkSignature(
  scheme: SignatureScheme,
  secret: string,
  body: string | Buffer,
  header: string | undefined,
  options: { nowSeconds: number; toleranceSeconds: number },
): SignatureCheck {
  if (!header) return 'missing';
  const pattern = new RegExp(`^\\s*t=(\\d{1,12})\\s*,\\s*${scheme.label}=([0-9a-fA-F]{64})\\s*$`);
  const match = pattern.exec(header);
  if (!match) return 'malformed';
  const timestamp = Number(match[1]);
  if (Math.abs(options.nowSeconds - timestamp) > options.toleranceSeconds) return 'stale';
  return constantTimeEqual(mac(secret, body, timestamp), Buffer.from(match[2], 'hex')) ? 'valid' : 'mismatch';
}
