/** The product backend's routes: start, read, review, cancel, retry. Bearer API key on every one. */
import express, { Router, type Request, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import { requireApiKey } from '../auth';
import { ApiError, parseOrThrow } from '../errors';
import type { OnboardingService, StartOutcome } from '../onboarding-service';
import {
  cancelRequestSchema,
  customerIdSchema,
  retryOnboardingRequestSchema,
  reviewRequestSchema,
  startOnboardingRequestSchema,
} from '../schemas';

export interface OnboardingRoutesDeps {
  service: OnboardingService;
  apiKeys: readonly string[];
  bodyLimit: string;
  logger: Logger;
}

/** Bodies must be JSON; anything else is refused before parsing rather than silently read as empty. */
export function jsonBody(limit: string): RequestHandler[] {
  const requireJson: RequestHandler = (req, _res, next) => {
    const hasBody = Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding') !== undefined;
    if (hasBody && !req.is('application/json')) {
      next(new ApiError(415, 'unsupported_media_type', 'Send the body as application/json'));
      return;
    }
    next();
  };
  return [requireJson, express.json({ limit, strict: true, type: 'application/json' })];
}

const customerParams = z.object({ customerId: customerIdSchema });

function customerIdOf(req: Request): string {
  return parseOrThrow(customerParams, req.params, 'customer id').customerId;
}

/** 201 when this call started the run, 200 when it joined one, 202 when the customer URL is not ready yet. */
function statusFor(outcome: StartOutcome): number {
  if (!outcome.ready) return 202;
  return outcome.link.created ? 201 : 200;
}

function locationOf(customerId: string): string {
  return `/v1/onboardings/${encodeURIComponent(customerId)}`;
}

export function onboardingRoutes(deps: OnboardingRoutesDeps): Router {
  const router = Router();
  const auth = requireApiKey(deps.apiKeys);
  const json = jsonBody(deps.bodyLimit);
  const { service, logger } = deps;

  router.post('/v1/onboardings', auth, ...json, async (req, res) => {
    const input = parseOrThrow(startOnboardingRequestSchema, req.body);
    const outcome = await service.start(input);
    logger.info(
      {
        reqId: req.id,
        customerId: input.customerId,
        workflowId: outcome.link.workflowId,
        created: outcome.link.created,
        ready: outcome.ready,
      },
      'onboarding start',
    );
    res.status(statusFor(outcome)).location(locationOf(input.customerId)).json(outcome.link);
  });

  router.get('/v1/onboardings/:customerId', auth, async (req, res) => {
    res.json(await service.status(customerIdOf(req)));
  });

  router.post('/v1/onboardings/:customerId/review', auth, ...json, async (req, res) => {
    const customerId = customerIdOf(req);
    const review = parseOrThrow(reviewRequestSchema, req.body);
    const status = await service.review(customerId, review);
    logger.info(
      { reqId: req.id, customerId, reviewerId: review.reviewerId, decision: review.decision },
      'onboarding reviewed',
    );
    res.json(status);
  });

  router.post('/v1/onboardings/:customerId/cancel', auth, ...json, async (req, res) => {
    const customerId = customerIdOf(req);
    const request = parseOrThrow(cancelRequestSchema, req.body);
    const status = await service.cancel(customerId, request);
    logger.info({ reqId: req.id, customerId, requestedBy: request.requestedBy }, 'onboarding cancelled');
    res.json(status);
  });

  router.post('/v1/onboardings/:customerId/retry', auth, ...json, async (req, res) => {
    const customerId = customerIdOf(req);
    const request = parseOrThrow(retryOnboardingRequestSchema, req.body);
    const outcome = await service.retry(customerId, request);
    logger.info(
      {
        reqId: req.id,
        customerId,
        workflowId: outcome.link.workflowId,
        runId: outcome.link.runId,
        created: outcome.link.created,
      },
      'onboarding retry',
    );
    res.status(statusFor(outcome)).location(locationOf(customerId)).json(outcome.link);
  });

  return router;
}
