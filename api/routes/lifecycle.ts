/**
 * The product backend's lifecycle requests: a fresh customer link after Ondato ended the session, and a
 * re-verification of an approved customer. Both need a product backend key (API_KEYS), as a start does.
 */
import { customerIdOf, customerParams, locationOf, started, statusFor } from './customer-routes';
import type { Client } from '@temporalio/client';
import { Router } from 'express';
import type { Logger } from 'pino';
import type { AppConfig } from '../../config';
import { parseKeyEntries } from '../../config/api-keys';
import type { CallbackTargets } from '../../config/callback-targets';
import { callerOf, requireRole, type RoleKeys } from '../auth';
import { assertCallbackUrlAllowed } from '../callback-targets';
import { parseOrThrow } from '../errors';
import { onboardingCallbacks } from '../openapi/callbacks';
import { OnboardingService } from '../onboarding-service';
import { pendingUpdateSchema } from '../pending-update';
import {
  invalidRequest,
  notJson,
  route,
  temporalUnavailable,
  tooLarge,
  type Operations,
  type ResponseSpec,
} from '../route-spec';
import { onboardingStatusSchema, relinkRequestSchema, reverificationRequestSchema } from '../schemas';
import { jsonBody } from './onboardings';

export interface LifecycleRoutesDeps {
  service: OnboardingService;
  apiKeys: readonly string[];
  opsKeys: readonly string[];
  bodyLimit: string;
  logger: Logger;
  callbackTargets: CallbackTargets;
}

const unauthorized: ResponseSpec = { description: 'Missing or unknown key', errors: ['unauthorized'] };
const backendOnly: ResponseSpec = {
  description: 'An ops key: only a product backend key (API_KEYS) may do this',
  errors: ['forbidden'],
};
const notFound: ResponseSpec = { description: 'No onboarding for this customer', errors: ['not_found'] };

export const LIFECYCLE_OPERATIONS = {
  relink: {
    method: 'post',
    path: '/v1/onboardings/:customerId/link',
    summary: 'A fresh customer link after Ondato ended the session',
    description:
      'For a run started with `timeouts.relinkGraceMs`: when Ondato expired the session or the customer aborted it (GET shows idvStatus Expired or Aborted and relinkOpenUntil) before the customer deadline, the run creates a new Ondato verification and answers with its customerUrl; webhooks for the old one are ignored from then on, and the start call (join) hands out the new link. The customer deadline stays where it was. Sending the same request again for the same expired session joins the first.',
    tag: 'Onboardings',
    security: 'apiKey',
    params: customerParams,
    body: { schema: relinkRequestSchema },
    responses: {
      200: { description: 'The state with the new customerUrl and idvId', body: onboardingStatusSchema },
      202: {
        description:
          'Temporal holds the request but the run has not finished with it within API_TEMPORAL_TIMEOUT_MS (no worker running, or Ondato slow): poll GET, or send the same request again',
        body: pendingUpdateSchema,
        headers: ['Location'],
      },
      400: invalidRequest,
      401: unauthorized,
      403: backendOnly,
      404: notFound,
      409: {
        description:
          'The run does not wait for a fresh link: the session is still alive (or the run has not seen Ondato end it yet), the grace or the customer deadline passed, the customer finished, or the run closed',
        errors: ['relink_not_possible'],
      },
      413: tooLarge,
      415: notJson,
      503: temporalUnavailable,
    },
  },
  reverification: {
    method: 'post',
    path: '/v1/onboardings/:customerId/reverification',
    summary: 'Re-verify an approved customer',
    description:
      'Starts a new onboarding run for a customer whose latest run ended approved (e.g. after `onboarding.reverification_due`): a fresh Ondato verification, nothing taken over; the run records the approved run it follows (reverificationOf). The registration is sent again. While a re-verification runs, the same call joins it (200); any other open run is refused (409).',
    tag: 'Onboardings',
    security: 'apiKey',
    params: customerParams,
    body: { schema: reverificationRequestSchema },
    callbacks: onboardingCallbacks,
    responses: {
      201: started('Started'),
      200: started('Joined the re-verification already running'),
      202: started('Started or joined, customer URL not ready yet (poll GET)'),
      400: invalidRequest,
      401: unauthorized,
      403: backendOnly,
      404: notFound,
      409: {
        description: 'Another onboarding of the customer is running, or the latest one did not end approved',
        errors: ['onboarding_running', 'onboarding_not_approved'],
      },
      413: tooLarge,
      415: notJson,
      502: {
        description:
          'The run failed before a customer URL existed: Ondato refused the verification, or another failure',
        errors: ['ondato_rejected', 'onboarding_failed'],
      },
      503: temporalUnavailable,
    },
  },
} satisfies Operations;

export function lifecycleRoutes(deps: LifecycleRoutesDeps): Router {
  const router = Router();
  const keys: RoleKeys = { backend: parseKeyEntries(deps.apiKeys), ops: parseKeyEntries(deps.opsKeys) };
  const json = jsonBody(deps.bodyLimit);
  const { service, logger } = deps;

  route(
    router,
    LIFECYCLE_OPERATIONS.relink,
    requireRole(keys, ['backend'], 'ask for a fresh customer link'),
    ...json,
    async (req, res) => {
      const customerId = customerIdOf(req);
      const { note } = parseOrThrow(relinkRequestSchema, req.body ?? {});
      const requestedBy = callerOf(res).identity;
      const outcome = await service.relink(customerId, requestedBy);
      logger.info(
        {
          reqId: req.id,
          customerId,
          requestedBy,
          note,
          pending: outcome.applied ? undefined : outcome.pending.updateStage,
        },
        outcome.applied ? 'onboarding relinked' : 'onboarding relink pending',
      );
      if (outcome.applied) res.json(outcome.status);
      else res.status(202).location(locationOf(customerId)).json(outcome.pending);
    },
  );

  route(
    router,
    LIFECYCLE_OPERATIONS.reverification,
    requireRole(keys, ['backend'], 'start a re-verification'),
    ...json,
    async (req, res) => {
      const customerId = customerIdOf(req);
      const request = parseOrThrow(reverificationRequestSchema, req.body);
      assertCallbackUrlAllowed(request.callbackUrl, deps.callbackTargets);
      const outcome = await service.reverify(customerId, request);
      logger.info(
        {
          reqId: req.id,
          customerId,
          workflowId: outcome.link.workflowId,
          runId: outcome.link.runId,
          created: outcome.link.created,
          ready: outcome.ready,
        },
        'onboarding re-verification',
      );
      res.status(statusFor(outcome)).location(locationOf(customerId)).json(outcome.link);
    },
  );

  return router;
}

/** The routes as the app mounts them, built from its client and configuration. */
export function lifecycleRoutesFor(
  temporal: Client,
  config: Pick<AppConfig, 'api' | 'temporal' | 'callbacks'>,
  logger: Logger,
): Router {
  const { api } = config;
  return lifecycleRoutes({
    service: new OnboardingService({
      client: temporal,
      taskQueue: config.temporal.taskQueue,
      startWaitMs: api.startWaitMs,
      callTimeoutMs: api.temporalTimeoutMs,
    }),
    apiKeys: api.keys,
    opsKeys: api.opsKeys,
    bodyLimit: api.bodyLimit,
    logger,
    callbackTargets: config.callbacks.targets,
  });
}
