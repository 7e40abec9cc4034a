/**
 * `POST /webhooks/ondato`. The raw body is kept (the HMAC is over the exact bytes), authenticated, parsed,
 * validated and relayed. 2xx only once Temporal accepted the signal (or there is nothing to deliver);
 * 503 whenever a redelivery could help.
 */
import express, { Router, type ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';
import { webhookEnvelopeSchema } from '../../ondato/schemas';
import { admitWebhookSender, verifyWebhookSignature, type WebhookAuthSettings } from '../auth';
import { ApiError, parseOrThrow } from '../errors';
import type { ApiMetrics } from '../metrics';
import { invalidRequest, route, tooLarge, type Operations } from '../route-spec';
import { webhookAckSchema } from '../schemas';
import type { WebhookRelay } from '../webhook-relay';

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
      'Basic auth; with WEBHOOK_HMAC_SECRET also `Ondato-Signature: t=<unix seconds>, s=<hex HMAC-SHA256 of "<t>.<raw body>">`; optionally a source-IP allow-list. Answers 2xx once Temporal accepted the signal; 503 asks Ondato to redeliver.',
    tag: 'Webhooks',
    security: 'webhookBasic',
    body: {
      schema: webhookEnvelopeSchema,
      description:
        "Ondato's delivery envelope, validated with the Ondato client's own schema; only its ids are used",
    },
    responses: {
      200: { description: 'Relayed, ignored (other event types) or no open run', body: webhookAckSchema },
      400: invalidRequest,
      401: { description: 'Bad credentials or signature', errors: ['unauthorized'] },
      403: { description: 'Source address not allowed', errors: ['forbidden'] },
      413: tooLarge,
      503: {
        description: 'Temporal unreachable, or the run is not visible yet: redeliver',
        errors: ['temporal_unavailable', 'run_not_visible_yet'],
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

  route(
    router,
    WEBHOOK_OPERATIONS.ondato,
    admitWebhookSender(deps.auth),
    express.raw({ type: () => true, limit: deps.bodyLimit }),
    verifyWebhookSignature(deps.auth, () => Math.floor(deps.now().getTime() / 1000)),
    async (req, res) => {
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const envelope = parseOrThrow(webhookEnvelopeSchema, parseJson(raw), 'webhook envelope');
      const result = await deps.relay.relay(envelope);
      metrics.countWebhook(result.status);
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
      res
        .status(200)
        .json({ status: result.status, ...(result.workflowId ? { workflowId: result.workflowId } : {}) });
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
