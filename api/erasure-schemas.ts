/** The bodies of the erasure and legal-hold routes: ids, dates and counts only. */
import { z } from 'zod';

export const erasureIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/, 'letters, digits and - (up to 64)')
  .describe('The erasure id the DELETE answered; the erasure workflow id is `erasure-<erasureId>`.');

const runRefSchema = z.object({ workflowId: z.string(), runId: z.string() });

export const erasureAcceptedSchema = z
  .object({
    erasureId: z.string(),
    status: z
      .enum(['running', 'pending'])
      .describe(
        'running: the erasure runs (started by this call, or joined: see `joined`); pending: Temporal holds the request until a worker takes it, which may still refuse it under a legal hold or join a running erasure',
      ),
    joined: z.boolean().describe('True when an erasure was already running and this request joined it'),
    links: z.object({ self: z.string().describe('GET it for the erasure record') }),
  })
  .meta({
    id: 'ErasureAccepted',
    description: "The customer's erasure, accepted: poll `links.self` for its record.",
  });
export type ErasureAcceptedBody = z.output<typeof erasureAcceptedSchema>;

export const erasureRecordSchema = z
  .object({
    erasureId: z.string(),
    customerId: z.string(),
    requestedBy: z.string().describe('The ops key identity that asked, or `retention`'),
    trigger: z.enum(['request', 'retention']),
    requestedAt: z.string(),
    completedAt: z.string().optional(),
    status: z.enum(['running', 'completed', 'refused_legal_hold']),
    documentsDeleted: z.number().int(),
    ondatoRedactionsRequested: z.array(z.string()),
    ondatoRedactionsRefused: z.array(z.object({ idvId: z.string(), reason: z.string() })),
    runsDeleted: z.array(runRefSchema),
  })
  .meta({
    id: 'ErasureRecord',
    description:
      'The audit record of an erasure: who, when, what was erased, by id. No personal data. Also kept in the document store under `audit/erasures/<erasureId>.json`.',
  });

export const legalHoldRequestSchema = z
  .strictObject({
    on: z.boolean().describe('true places the hold, false lifts it'),
    reason: z
      .string()
      .min(1)
      .max(200)
      .regex(/^[\x20-\x7E]*$/, 'printable ASCII')
      .optional()
      .describe('A case reference, never personal data'),
  })
  .meta({ id: 'LegalHoldRequest' });

const legalHoldSchema = z.object({
  on: z.boolean(),
  setBy: z.string().describe('The ops key identity that set or lifted it'),
  reason: z.string().optional(),
  at: z.string(),
});

export const aftercareStateSchema = z
  .object({
    customerId: z.string(),
    latest: z
      .object({
        workflowId: z.string(),
        runId: z.string(),
        outcome: z.string(),
        closedAt: z.string(),
        documentExpiresOn: z.string().optional(),
      })
      .optional()
      .describe('The latest closed onboarding'),
    reverificationDueAt: z.string().optional(),
    reverificationNotifiedAt: z.string().optional(),
    retentionDueAt: z.string().optional().describe('When retention erases the data unless a hold is on'),
    legalHold: legalHoldSchema.optional(),
    retentionErasureId: z.string().optional(),
    erasure: z
      .object({ erasureId: z.string(), trigger: z.string(), requestedBy: z.string(), startedAt: z.string() })
      .optional()
      .describe('The erasure running for this customer'),
  })
  .meta({
    id: 'AftercareState',
    description:
      "A customer's aftercare: re-verification and retention timers, the legal hold, a running erasure.",
  });
export type AftercareStateBody = z.output<typeof aftercareStateSchema>;

export const pendingHoldSchema = z
  .object({
    workflowId: z.string(),
    updateId: z.string(),
    message: z.string(),
  })
  .meta({
    id: 'PendingLegalHold',
    description:
      'Temporal holds the hold request for the aftercare run, which no worker has applied yet; GET the onboarding or send the request again.',
  });
