/**
 * The 200 answer to an Ondato webhook delivery: what the service did with it. Every status ends Ondato's
 * retries; the ones that did not signal the run say why (already handled, merged, nothing to deliver).
 */
import { z } from 'zod';

export const WEBHOOK_RECEIPT_STATUSES = [
  'relayed',
  'merged',
  'duplicate',
  'replayed',
  'ignored',
  'no_run',
  'unroutable',
] as const;

export const webhookReceiptSchema = z
  .object({
    status: z.enum(WEBHOOK_RECEIPT_STATUSES),
    workflowId: z.string().optional(),
  })
  .meta({
    id: 'WebhookReceipt',
    description: [
      'relayed: signalled to the run;',
      "merged: the run had just been signalled (its per-run budget: 10 back to back, then one a second), so this delivery went out merged into the run's next signal, accepted before this answer;",
      'duplicate: this delivery id was already answered 2xx (or is being relayed right now): not signalled again;',
      'replayed: this exact signed request (same Ondato-Signature) was already answered: not acted on;',
      'ignored: a type the service does not act on; no_run: no open run (stray or late); unroutable: no id to route by',
    ].join(' '),
    examples: [{ status: 'relayed', workflowId: 'onboarding-c-42' }],
  });

export type WebhookReceipt = z.output<typeof webhookReceiptSchema>;
