/**
 * The onboarding routes. Product backends (an API key): start, read. Ops (an ops key): review, cancel, retry,
 * resume, list, read. A key of the other role is refused with 403; a decision records the identity of the ops
 * key that made it, whatever the body claims.
 */
import { customerIdOf, customerParams, locationOf, started, statusFor } from './customer-routes';
import express, { Router, type RequestHandler, type Response } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { CallbackTargets } from '../../config/callback-targets';
import { callerOf, requireRole, type Role, type RoleKeys } from '../auth';
import { parseKeyEntries } from '../../config/api-keys';
import { assertCallbackUrlAllowed } from '../callback-targets';
import { ApiError, parseOrThrow } from '../errors';
import type { OnboardingLister } from '../list-onboardings';
import { onboardingCallbacks } from '../openapi/callbacks';
import type { OnboardingService, RunMessageOutcome } from '../onboarding-service';
import { pendingUpdateSchema } from '../pending-update';
import {
  invalidRequest,
  notJson,
  route,
  temporalUnavailable,
  tooLarge,
  type Operation,
  type Operations,
  type ResponseSpec,
} from '../route-spec';
import {
  cancelRequestSchema,
  listOnboardingsQuerySchema,
  onboardingListSchema,
  onboardingStatusSchema,
  resumeRequestSchema,
  retryOnboardingRequestSchema,
  reviewRequestSchema,
  startOnboardingRequestSchema,
} from '../schemas';

export interface OnboardingRoutesDeps {
  service: OnboardingService;
  /** Visibility reads for the list (GET /v1/onboardings). */
  lister: OnboardingLister;
  /** API_KEYS entries (`identity:key` or `key`): product backends. */
  apiKeys: readonly string[];
  /** API_OPS_KEYS entries: ops tooling (an API key is not one). */
  opsKeys: readonly string[];
  bodyLimit: string;
  logger: Logger;
  /** Where callbacks may go: a start or retry naming another callbackUrl is refused (400). */
  callbackTargets: CallbackTargets;
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

const unauthorized: ResponseSpec = { description: 'Missing or unknown key', errors: ['unauthorized'] };
const backendOnly: ResponseSpec = {
  description: 'An ops key: only a product backend key (API_KEYS) may do this',
  errors: ['forbidden'],
};
const opsOnly: ResponseSpec = {
  description: "A product backend's key: only an ops key (API_OPS_KEYS) may do this",
  errors: ['forbidden'],
};
const startFailed: ResponseSpec = {
  description:
    'The run failed before a customer URL existed: Ondato refused the verification (its status, reason code and field names), or another failure (its type, stage and our message)',
  errors: ['ondato_rejected', 'onboarding_failed'],
};
const notFound: ResponseSpec = { description: 'No onboarding for this customer', errors: ['not_found'] };

/** An ops message to a run (review, cancel, resume): the same answers but for its 200 and its refusal. */
function runMessage(
  action: string,
  spec: Pick<Operation, 'summary' | 'description' | 'security'> & {
    body: z.ZodType;
    done: string;
    refused: ResponseSpec;
  },
): Operation {
  return {
    method: 'post',
    path: `/v1/onboardings/:customerId/${action}`,
    summary: spec.summary,
    description: spec.description,
    tag: 'Onboardings',
    security: spec.security,
    params: customerParams,
    body: { schema: spec.body },
    responses: {
      200: { description: spec.done, body: onboardingStatusSchema },
      202: {
        description:
          'Temporal holds the request but the run has not finished with it within API_TEMPORAL_TIMEOUT_MS (no worker running, or slow): it applies when a worker runs the run. Poll GET, or send the same request again: it joins this one and answers its result',
        body: pendingUpdateSchema,
        headers: ['Location'],
      },
      400: invalidRequest,
      401: unauthorized,
      403: opsOnly,
      404: notFound,
      409: spec.refused,
      413: tooLarge,
      415: notJson,
      503: temporalUnavailable,
    },
  };
}

export const ONBOARDING_OPERATIONS = {
  start: {
    method: 'post',
    path: '/v1/onboardings',
    summary: 'Start (or join) the onboarding of a customer',
    description:
      "Starts the onboarding workflow and waits until Ondato issued the customer URL. Repeating the call while the run is open joins it (200, same URL). After a run that failed or was terminated, a new run starts and takes over that run's finished verification if the customer had finished (resumedFromKycId, no customer URL). A completed onboarding is never restarted silently: use retry.",
    tag: 'Onboardings',
    security: 'apiKey',
    body: { schema: startOnboardingRequestSchema },
    callbacks: onboardingCallbacks,
    responses: {
      201: started('Started by this call'),
      200: started('Joined the running onboarding'),
      202: started('Started or joined, customer URL not ready yet (poll GET)'),
      400: invalidRequest,
      401: unauthorized,
      403: backendOnly,
      409: { description: 'The onboarding already completed', errors: ['onboarding_completed'] },
      413: tooLarge,
      415: notJson,
      502: startFailed,
      503: temporalUnavailable,
    },
  },
  status: {
    method: 'get',
    path: '/v1/onboardings/:customerId',
    summary: 'The current state of the latest onboarding run',
    description: 'A product backend key or an ops key.',
    tag: 'Onboardings',
    security: 'apiKeyOrOpsKey',
    params: customerParams,
    responses: {
      200: { description: 'State, outcome, reasons and timestamps', body: onboardingStatusSchema },
      400: { description: 'Invalid customer id', errors: ['validation_failed'] },
      401: unauthorized,
      404: notFound,
      503: temporalUnavailable,
    },
  },
  review: runMessage('review', {
    summary: 'Record an ops decision for a run in manual review (ops)',
    description:
      'Needs an ops key. The decision records the identity of the ops key (API_OPS_KEYS `identity:key`, or a fingerprint of a plain key) as its reviewerId; a reviewerId in the body is accepted for compatibility and only logged.',
    security: 'opsKey',
    body: reviewRequestSchema,
    done: 'Decision recorded',
    refused: { description: 'No manual review is pending', errors: ['no_review_pending'] },
  }),
  cancel: runMessage('cancel', {
    summary: 'Cancel an onboarding that has not decided yet (ops)',
    description:
      'Needs an ops key; the cancellation records the identity of the ops key as requestedBy (a requestedBy in the body is only logged).',
    security: 'opsKey',
    body: cancelRequestSchema,
    done: 'Cancelled',
    refused: { description: 'Already decided or no longer running', errors: ['already_decided'] },
  }),
  retry: {
    method: 'post',
    path: '/v1/onboardings/:customerId/retry',
    summary: 'Start a fresh run after one that ended without approval (ops)',
    description:
      "Needs an ops key. Allowed after a failed, terminated, expired, abandoned, cancelled or rejected run. The registration is sent again: the API never reads personal data back out of workflow history. The new run takes over the earlier run's finished verification (resumedFromKycId, no customer URL) unless that run ended rejected, expired or abandoned; then the customer goes through Ondato again.",
    tag: 'Onboardings',
    security: 'opsKey',
    params: customerParams,
    body: { schema: retryOnboardingRequestSchema },
    callbacks: onboardingCallbacks,
    responses: {
      201: started('Started'),
      200: started('Joined a run another caller started meanwhile'),
      202: started('Started, customer URL not ready yet'),
      400: invalidRequest,
      401: unauthorized,
      403: opsOnly,
      404: notFound,
      409: {
        description: 'Still running, or already approved',
        errors: ['onboarding_running', 'onboarding_approved'],
      },
      413: tooLarge,
      415: notJson,
      502: startFailed,
      503: temporalUnavailable,
    },
  },
  resume: runMessage('resume', {
    summary: 'Resume a parked run now (ops)',
    description:
      "A run whose step failed after the customer had a link parks in stage needs_attention (see attention in the state) and retries by itself later; this runs the failed step again now. Needs an ops key (API_OPS_KEYS) as the bearer token: a product backend's API key is refused (403). The resume records the identity of the ops key as requestedBy.",
    security: 'opsKey',
    body: resumeRequestSchema,
    done: 'Resumed: the state as the failed step starts again',
    refused: { description: 'The run is not parked, or no longer running', errors: ['not_parked'] },
  }),
  list: {
    method: 'get',
    path: '/v1/onboardings',
    summary: 'List onboarding runs: the review queue and other back-office views (ops)',
    description:
      "Needs an ops key. Reads Temporal's visibility store only: ids, stage, outcome, start and close times, and why a parked run stopped; no personal data. Filters combine with AND; stage=manual_review is the review queue. Every run is listed, also earlier runs of a customer. Order: running runs first, most recently started first, then closed runs, most recently closed first; Temporal cannot list oldest first, so a queue shown oldest first is sorted by the caller (page through it, or narrow it with startedBefore/startedAfter). Visibility trails the runs by up to a second or so.",
    tag: 'Onboardings',
    security: 'opsKey',
    query: listOnboardingsQuerySchema,
    responses: {
      200: { description: 'One page of runs', body: onboardingListSchema },
      400: { description: 'A filter or the page token is invalid', errors: ['validation_failed'] },
      401: unauthorized,
      403: opsOnly,
      503: temporalUnavailable,
    },
  },
} satisfies Operations;

/** 200 with the state once the run applied the message; 202 with what Temporal holds when it has not yet. */
function answerRunMessage(res: Response, customerId: string, outcome: RunMessageOutcome): void {
  if (outcome.applied) res.json(outcome.status);
  else res.status(202).location(locationOf(customerId)).json(outcome.pending);
}

export function onboardingRoutes(deps: OnboardingRoutesDeps): Router {
  const router = Router();
  const keys: RoleKeys = { backend: parseKeyEntries(deps.apiKeys), ops: parseKeyEntries(deps.opsKeys) };
  const allow = (roles: readonly [Role, ...Role[]], action: string) => requireRole(keys, roles, action);
  const json = jsonBody(deps.bodyLimit);
  const { service, lister, logger } = deps;

  route(router, ONBOARDING_OPERATIONS.list, allow(['ops'], 'list onboardings'), async (req, res) => {
    const query = parseOrThrow(listOnboardingsQuerySchema, req.query, 'request query');
    res.json(await lister.page(query));
  });

  route(
    router,
    ONBOARDING_OPERATIONS.start,
    allow(['backend'], 'start an onboarding'),
    ...json,
    async (req, res) => {
      const input = parseOrThrow(startOnboardingRequestSchema, req.body);
      assertCallbackUrlAllowed(input.callbackUrl, deps.callbackTargets);
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
    },
  );

  route(
    router,
    ONBOARDING_OPERATIONS.status,
    allow(['backend', 'ops'], 'read an onboarding'),
    async (req, res) => {
      res.json(await service.status(customerIdOf(req)));
    },
  );

  route(router, ONBOARDING_OPERATIONS.review, allow(['ops'], 'review'), ...json, async (req, res) => {
    const customerId = customerIdOf(req);
    const { reviewerId: claimedReviewerId, ...body } = parseOrThrow(reviewRequestSchema, req.body);
    // The decider is the key's identity: a body can claim to be anyone.
    const review = { ...body, reviewerId: callerOf(res).identity };
    const outcome = await service.review(customerId, review);
    logger.info(
      {
        reqId: req.id,
        customerId,
        reviewerId: review.reviewerId,
        claimedReviewerId,
        decision: review.decision,
        pending: outcome.applied ? undefined : outcome.pending.updateStage,
      },
      outcome.applied ? 'onboarding reviewed' : 'onboarding review pending',
    );
    answerRunMessage(res, customerId, outcome);
  });

  route(router, ONBOARDING_OPERATIONS.cancel, allow(['ops'], 'cancel'), ...json, async (req, res) => {
    const customerId = customerIdOf(req);
    const { requestedBy: claimedBy, ...body } = parseOrThrow(cancelRequestSchema, req.body);
    const request = { ...body, requestedBy: callerOf(res).identity };
    const outcome = await service.cancel(customerId, request);
    logger.info(
      {
        reqId: req.id,
        customerId,
        requestedBy: request.requestedBy,
        claimedBy,
        pending: outcome.applied ? undefined : outcome.pending.updateStage,
      },
      outcome.applied ? 'onboarding cancelled' : 'onboarding cancel pending',
    );
    answerRunMessage(res, customerId, outcome);
  });

  route(router, ONBOARDING_OPERATIONS.retry, allow(['ops'], 'retry'), ...json, async (req, res) => {
    const customerId = customerIdOf(req);
    const request = parseOrThrow(retryOnboardingRequestSchema, req.body);
    assertCallbackUrlAllowed(request.callbackUrl, deps.callbackTargets);
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

  route(router, ONBOARDING_OPERATIONS.resume, allow(['ops'], 'resume'), ...json, async (req, res) => {
    const customerId = customerIdOf(req);
    const { requestedBy: claimedBy, ...body } = parseOrThrow(resumeRequestSchema, req.body);
    const request = { ...body, requestedBy: callerOf(res).identity };
    const outcome = await service.resume(customerId, request);
    logger.info(
      {
        reqId: req.id,
        customerId,
        requestedBy: request.requestedBy,
        claimedBy,
        pending: outcome.applied ? undefined : outcome.pending.updateStage,
      },
      outcome.applied ? 'onboarding resumed' : 'onboarding resume pending',
    );
    answerRunMessage(res, customerId, outcome);
  });

  return router;
}
