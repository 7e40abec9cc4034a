/**
 * The queue, a case, its documents and the decision. Every case and document view is audited before it is
 * served; a decision goes through the API's own review update (api/run-messages.ts via OnboardingService) with
 * the session's identity as the reviewer, and a page that no longer matches the run is refused (409).
 */
import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import type { StoredDocument } from '../../contract';
import type { DocumentStore } from '../../storage/document-store';
import { ApiError } from '../errors';
import type { OnboardingService } from '../onboarding-service';
import { customerIdSchema, listOnboardingsQuerySchema, type OnboardingStatus } from '../schemas';
import { reviewerOf, type ConsoleAccess } from './access';
import { sessionDigest, type AuditEntry, type AuditLog } from './audit-log';
import type { CaseReader } from './case-file';
import { DocumentUnavailable, readDocument, servedType } from './documents';
import { html } from './html';
import { caseBody } from './pages/case-page';
import { when } from './pages/format';
import { messageBody } from './pages/layout';
import { queueBody } from './pages/queue-page';
import { QUEUE_STAGES, type ReviewQueue } from './queue';
import { ConsoleRefusal } from './refusal';
import { sendPage } from './render';
import { NOTE_LIMIT, REVIEW_REASON_CODES, reviewNote } from './review-reasons';
import { documentHeaders } from './security-headers';

export interface CaseRoutesDeps {
  access: ConsoleAccess;
  audit: AuditLog;
  queue: ReviewQueue;
  cases: CaseReader;
  service: OnboardingService;
  store: DocumentStore;
  form: RequestHandler;
  now: () => Date;
}

const queueFilterSchema = listOnboardingsQuerySchema
  .pick({ customerIdPrefix: true, startedAfter: true, startedBefore: true })
  .extend({ stage: z.enum(QUEUE_STAGES).optional() });

const FILE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

const decisionFormSchema = z
  .object({
    runId: z.string().min(1).max(100),
    stage: z.string().max(50),
    decision: z.enum(['approved', 'rejected'], { error: 'choose approve or reject' }),
    reason: z.enum(REVIEW_REASON_CODES, { error: 'choose a reason' }),
    note: z.string().max(NOTE_LIMIT).default(''),
  })
  .refine((form) => form.reason !== 'other' || form.note.trim() !== '', {
    path: ['note'],
    message: 'say why in the note when the reason is Other',
  });

/** Query and form values the browser sent empty mean "not set". */
function withoutEmpty(values: unknown): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries((values ?? {}) as Record<string, unknown>).filter(([, value]) => value !== ''),
  );
}

function invalid(error: z.ZodError): ConsoleRefusal {
  const problems = error.issues.map((issue) => `${issue.path.join('.') || 'form'}: ${issue.message}`);
  return new ConsoleRefusal(400, 'Check the form', problems.join('; '));
}

function customerIdOf(value: unknown): string {
  const parsed = customerIdSchema.safeParse(value);
  if (!parsed.success) throw new ConsoleRefusal(404, 'Not found', 'No such case.');
  return parsed.data;
}

/** Why a decision form no longer applies to the run, or undefined when it still does. */
function staleness(status: OnboardingStatus, form: { runId: string; stage: string }): string | undefined {
  if (status.review) {
    const { decision, reviewerId, decidedAt } = status.review;
    return `Someone else decided first: ${decision} by ${reviewerId} at ${when(decidedAt)}.`;
  }
  if (status.status !== 'RUNNING' || status.stage !== 'manual_review') {
    return `The run is no longer waiting for a review (stage ${status.stage ?? 'unknown'}, ${status.status}).`;
  }
  if (status.runId !== form.runId || form.stage !== 'manual_review') {
    return 'The run changed since this page was shown. Look at the case again before deciding.';
  }
  return undefined;
}

export function caseRoutes(deps: CaseRoutesDeps): Router {
  const { access, audit, service } = deps;
  const router = Router();
  const page = access.requireReviewer('page');
  const action = access.requireReviewer('action');

  const who = (res: Parameters<RequestHandler>[1]): Pick<AuditEntry, 'reviewer' | 'via' | 'session'> => {
    const { session } = reviewerOf(res);
    return { reviewer: session.identity, via: session.via, session: sessionDigest(session.sessionId) };
  };

  router.get('/console', (_req, res) => res.redirect(303, '/console/queue'));

  router.get('/console/queue', page, async (req, res) => {
    const filter = queueFilterSchema.safeParse(withoutEmpty(req.query));
    if (!filter.success) throw invalid(filter.error);
    const queue = await deps.queue.read(filter.data);
    sendPage(res, 200, 'Queue', queueBody(queue, filter.data, deps.now()));
  });

  router.get('/console/cases/:customerId', page, async (req, res) => {
    const customerId = customerIdOf(req.params.customerId);
    const file = await deps.cases.read(customerId);
    await audit.record({
      event: 'case_viewed',
      ...who(res),
      customerId,
      workflowId: file.status.workflowId,
      runId: file.status.runId,
    });
    const decided = typeof req.query.decided === 'string' ? req.query.decided : undefined;
    sendPage(
      res,
      200,
      `Case ${customerId}`,
      caseBody(file, {
        csrf: reviewerOf(res).csrf,
        decided: decided === 'approved' || decided === 'rejected' ? decided : undefined,
      }),
    );
  });

  router.get('/console/cases/:customerId/documents/:fileId', action, async (req, res) => {
    const customerId = customerIdOf(req.params.customerId);
    const fileId = String(req.params.fileId);
    const runId = typeof req.query.run === 'string' ? req.query.run : '';
    const status = await service.status(customerId);
    const document: StoredDocument | undefined =
      FILE_ID.test(fileId) && status.runId === runId
        ? status.documents.find((candidate) => candidate.fileId === fileId)
        : undefined;
    if (!document) {
      throw new ConsoleRefusal(404, 'Not found', 'This run has no such document. Reload the case.');
    }
    let bytes: Buffer;
    try {
      bytes = await readDocument(deps.store, document);
    } catch (error) {
      if (!(error instanceof DocumentUnavailable)) throw error;
      throw new ConsoleRefusal(
        503,
        'Document unavailable',
        error.why === 'altered'
          ? 'The stored document does not match what the run recorded (size or SHA-256): it is not shown.'
          : 'The document store could not be read. Try again later.',
        { 'Retry-After': '5' },
      );
    }
    await audit.record({
      event: 'document_viewed',
      ...who(res),
      customerId,
      workflowId: status.workflowId,
      runId: status.runId,
      fileId,
    });
    const served = servedType(document);
    documentHeaders(res);
    res
      .status(200)
      .type(served.contentType)
      .set('Content-Disposition', served.inline ? 'inline' : `attachment; filename="${fileId}"`)
      .send(bytes);
  });

  router.post(
    '/console/cases/:customerId/decision',
    deps.form,
    action,
    access.checkForm,
    async (req, res) => {
      const customerId = customerIdOf(req.params.customerId);
      const parsed = decisionFormSchema.safeParse(withoutEmpty(req.body));
      if (!parsed.success) throw invalid(parsed.error);
      const form = parsed.data;
      const reviewer = reviewerOf(res).session.identity;
      const caseLink = html`<p>
        <a href="/console/cases/${encodeURIComponent(customerId)}">Back to the case</a>
      </p>`;
      const refuse = async (explanation: string, run: Pick<OnboardingStatus, 'workflowId' | 'runId'>) => {
        await audit.record({
          event: 'decision_refused',
          ...who(res),
          customerId,
          workflowId: run.workflowId,
          runId: run.runId,
          decision: form.decision,
          reason: form.reason,
          result: 'stale',
        });
        sendPage(res, 409, 'Not recorded', messageBody('Decision not recorded', explanation, caseLink));
      };

      const status = await service.status(customerId);
      const stale = staleness(status, form);
      if (stale) {
        await refuse(stale, status);
        return;
      }
      let outcome;
      try {
        outcome = await service.review(customerId, {
          reviewerId: reviewer,
          decision: form.decision,
          note: reviewNote(form.reason, form.note),
        });
      } catch (error) {
        // The run's own check refused it: someone decided between our look and the update.
        if (error instanceof ApiError && error.status === 409) {
          await refuse(`The run refused the decision: ${error.message}.`, status);
          return;
        }
        throw error;
      }
      await audit.record({
        event: 'decision',
        ...who(res),
        customerId,
        workflowId: status.workflowId,
        runId: status.runId,
        decision: form.decision,
        reason: form.reason,
        result: outcome.applied ? 'applied' : 'pending',
      });
      if (outcome.applied) {
        res.redirect(303, `/console/cases/${encodeURIComponent(customerId)}?decided=${form.decision}`);
        return;
      }
      sendPage(
        res,
        202,
        'Decision pending',
        messageBody(
          'Decision held by Temporal',
          'Temporal holds the decision, but no worker has applied it yet: it applies when a worker runs the onboarding. There is no need to send it again.',
          caseLink,
        ),
      );
    },
  );

  return router;
}
