/**
 * The customer web flow: `GET /idv/?id=<idvId>` shows the session (and moves it from Pending to InProgress),
 * its buttons post to `/idv/actions`, which completes the session through the same code as the control API.
 */
import express, { type Request, type Response, type Router } from 'express';
import { pageActionSchema, type CompleteRequest, type PageAction } from './control-schemas';
import type { SimulatorControls } from './controls';
import type { SimulatorStore } from './store';
import { FlowError, type VerificationFlow } from './verification-flow';
import { renderMessagePage, renderVerificationPage } from './web-page';

const OUTCOME_BY_ACTION: Record<PageAction['action'], CompleteRequest['outcome']> = {
  approve: 'approved',
  reject: 'rejected',
  awaiting: 'awaiting',
  abort: 'aborted',
};

const NOTICE_BY_ACTION: Record<PageAction['action'], string> = {
  approve: 'Done: the verification was completed and approved.',
  reject: 'Done: the verification was completed and rejected.',
  awaiting: 'Done: the customer finished; Ondato’s own reviewers now decide (see below).',
  abort: 'Done: the verification was aborted.',
};

export function webFlowRoutes(
  store: SimulatorStore,
  flow: VerificationFlow,
  controls: SimulatorControls,
): Router {
  const router = express.Router();

  const show = (req: Request, res: Response, idvId: string, status: number, notice?: string): void => {
    const idv = flow.requireIdv(idvId);
    const kyc = idv.kycIdentificationId ? store.identification(idv.kycIdentificationId) : undefined;
    const html = renderVerificationPage({
      idv,
      kycStatus: kyc?.status ?? null,
      kycStatusReason: kyc?.statusReason ?? null,
      actionUrl: `${req.baseUrl}/actions`,
      controlBaseUrl: `${req.protocol}://${req.get('host') ?? 'localhost'}`,
      notice,
    });
    res.status(status).type('html').send(html);
  };

  router.get('/', (req, res) => {
    const idvId = typeof req.query.id === 'string' ? req.query.id : '';
    if (!idvId) {
      res
        .status(400)
        .type('html')
        .send(renderMessagePage('Missing session', 'The link has no ?id= parameter.'));
      return;
    }
    pageErrors(res, () => {
      flow.open(idvId);
      show(req, res, idvId, 200);
    });
  });

  router.post('/actions', express.urlencoded({ extended: false, limit: '10kb' }), (req, res) => {
    const parsed = pageActionSchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      res.status(400).type('html').send(renderMessagePage('Invalid request', 'The form was incomplete.'));
      return;
    }
    const { id, action, statusReason } = parsed.data;
    pageErrors(res, () => {
      controls.complete(id, {
        outcome: OUTCOME_BY_ACTION[action],
        statusReason: action === 'reject' ? statusReason : undefined,
      });
      show(req, res, id, 200, NOTICE_BY_ACTION[action]);
    });
  });

  return router;
}

function pageErrors(res: Response, action: () => void): void {
  try {
    action();
  } catch (error) {
    if (!(error instanceof FlowError)) throw error;
    const title = error.status === 404 ? 'Session not found' : 'Already finished';
    res.status(error.status).type('html').send(renderMessagePage(title, error.message));
  }
}
