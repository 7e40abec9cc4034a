/**
 * `POST /webhooks/ondato`. The raw body is kept (the HMAC is over the exact bytes), authenticated, parsed,
 * validated and relayed. 2xx only once Temporal accepted the signal (or there is nothing to deliver, or it was
 * delivered before); 503 whenever a redelivery could help.
 *
 * A signed request seen before (same `Ondato-Signature`) is answered 200 `replayed` without being read further.
 * Not a 4xx: Ondato retries every non-2xx, and the first copy was already acted on, so a refusal would only
 * make a genuine sender retry for a day; a replaying stranger gains nothing from the 200, and ops see the
 * warning line and the `replayed` count in /metrics.
 */
import express, { Router, type ErrorRequestHandler, type Response } from 'express';
import type { Logger } from 'pino';
import { webhookEnvelopeSchema } from '../../ondato/schemas';
import {
  admitWebhookSender,
  ONDATO_SIGNATURE_HEADER,
  verifyWebhookSignature,
  type WebhookAuthSettings,
} from '../auth';
import { ApiError, parseOrThrow } from '../errors';
import type { ApiMetrics } from '../metrics';
import { invalidRequest, route, tooLarge, type Operations } from '../route-spec';
import type { WebhookRelay } from '../webhook-relay';
import { SignatureReplayGuard, signatureMac } from '../webhook-dedupe';
import { webhookReceiptSchema, type WebhookReceipt } from '../webhook-receipt';

export interface WebhookRoutesDeps {
  relay: WebhookRelay;
  auth: WebhookAuthSettings;
  bodyLimit: string;
  logger: Logger;
  metrics: ApiMetrics;
  now: () => Date;
}

export const WEBHOOK_OPERATIONS = {
  ondato: {
    method: 'post',
    path: '/webhooks/ondato',
    summary: "Ondato's webhook deliveries",
    description:
      'Basic auth; with WEBHOOK_HMAC_SECRET also `Ondato-Signature: t=<unix seconds>, s=<hex HMAC-SHA256 of "<t>.<raw body>">`; optionally a source-IP allow-list. Answers 2xx once Temporal accepted the signal; 503 asks Ondato to redeliver. A delivery id answered before is answered `duplicate` and a signed request seen before `replayed`, neither signalled again; a flood of distinct deliveries for one run is merged into one signal a second (`merged`, answered once that signal was accepted).',
    tag: 'Webhooks',
    security: 'webhookBasic',
    body: {
      schema: webhookEnvelopeSchema,
      description:
        "Ondato's delivery envelope, validated with the Ondato client's own schema; only its ids are used",
    },
    responses: {
      200: {
        description:
          "Relayed or merged into the run's next signal; a duplicate or replay; ignored; no open run",
        body: webhookReceiptSchema,
      },
      400: invalidRequest,
      401: { description: 'Bad credentials or signature', errors: ['unauthorized'] },
      403: { description: 'Source address not allowed', errors: ['forbidden'] },
      413: tooLarge,
      503: {
        description:
          "Temporal unreachable, the run is not visible yet, or the run is at Temporal's per-run signal cap (it continues as new, or its polling catches up): redeliver",
        errors: ['temporal_unavailable', 'run_not_visible_yet', 'run_signal_limit'],
        headers: ['Retry-After'],
      },
    },
  },
} satisfies Operations;

function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new ApiError(400, 'malformed_json', 'The webhook body is not valid JSON');
  }
}

export function webhookRoutes(deps: WebhookRoutesDeps): Router {
  const router = Router();
  const { logger, metrics } = deps;
  const replays = deps.auth.hmacSecret
    ? new SignatureReplayGuard(deps.auth.signatureToleranceSeconds, () => deps.now().getTime())
    : undefined;

  const answer = (res: Response, receipt: WebhookReceipt): void => {
    metrics.countWebhook(receipt.status);
    res
      .status(200)
      .json({ status: receipt.status, ...(receipt.workflowId ? { workflowId: receipt.workflowId } : {}) });
  };

  route(
    router,
    WEBHOOK_OPERATIONS.ondato,
    admitWebhookSender(deps.auth),
    express.raw({ type: () => true, limit: deps.bodyLimit }),
    verifyWebhookSignature(deps.auth, () => Math.floor(deps.now().getTime() / 1000)),
    async (req, res) => {
      // Only a verified signature gets here: remembering it cannot be used to block a genuine one.
      const mac = replays ? signatureMac(req.get(ONDATO_SIGNATURE_HEADER)) : undefined;
      if (mac && replays?.isReplay(mac)) {
        logger.warn({ reqId: req.id }, 'webhook replayed: this signed request was already answered');
        answer(res, { status: 'replayed' });
        return;
      }
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const envelope = parseOrThrow(webhookEnvelopeSchema, parseJson(raw), 'webhook envelope');
      const result = await deps.relay.relay(envelope);
      if (mac) replays?.remember(mac);
      // Ids only: the payload holds the customer's personal data.
      logger.info(
        {
          reqId: req.id,
          deliveryId: result.deliveryId,
          type: result.type,
          status: result.status,
          workflowId: result.workflowId,
          route: result.route,
        },
        result.status === 'relayed' ? 'webhook relayed' : `webhook ${result.status}`,
      );
      answer(res, result);
    },
  );

  // Count refusals by their code, then let the app's error handler answer.
  const countRefusals: ErrorRequestHandler = (error: unknown, req, _res, next) => {
    const code = error instanceof ApiError ? error.code : 'internal';
    metrics.countWebhook(code);
    logger.warn({ reqId: req.id, code }, 'webhook refused');
    next(error);
  };
  router.use('/webhooks/ondato', countRefusals);

  return router;
}
