/**
 * Headers of every console answer: nothing cached (pages and documents carry personal data), no framing, a
 * strict CSP (no scripts at all, the one inline stylesheet by nonce, images from the console only, forms
 * posted to the console only), no MIME sniffing, and no referrer outside the console.
 */
import { randomBytes } from 'node:crypto';
import type { RequestHandler, Response } from 'express';

interface NonceLocals {
  cspNonce?: string;
}

export function cspNonceOf(res: Response): string {
  return (res.locals as NonceLocals).cspNonce ?? '';
}

export const consoleHeaders: RequestHandler = (_req, res, next) => {
  const nonce = randomBytes(16).toString('base64');
  (res.locals as NonceLocals).cspNonce = nonce;
  res.set({
    'Cache-Control': 'no-store',
    Pragma: 'no-cache',
    'X-Frame-Options': 'DENY',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Content-Security-Policy': [
      "default-src 'none'",
      `style-src 'nonce-${nonce}'`,
      "img-src 'self'",
      "form-action 'self'",
      "frame-ancestors 'none'",
      "base-uri 'none'",
    ].join('; '),
  });
  next();
};

/** A document answer: the page CSP is replaced by one that lets the document show and nothing else run. */
export function documentHeaders(res: Response): void {
  res.set('Content-Security-Policy', "default-src 'none'; img-src 'self'; sandbox");
}
