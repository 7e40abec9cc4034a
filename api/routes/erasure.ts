/**
 * Erasure (GDPR) and legal hold, for ops: erase a customer's data, read an erasure's record, place or lift a
 * legal hold. Each records the identity of the ops key that asked.
 */
import { customerIdOf, customerParams } from './customer-routes';
import type { Client } from '@temporalio/client';
import { Router } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { AppConfig } from '../../config';
import { parseKeyEntries } from '../../config/api-keys';
import { callerOf, requireRole, type RoleKeys } from '../auth';
import {
  aftercareStateSchema,
  erasureAcceptedSchema,
  erasureIdSchema,
  erasureRecordSchema,
  legalHoldRequestSchema,
  pendingHoldSchema,
} from '../erasure-schemas';
import { erasureLink, ErasureService } from '../erasure-service';
import { parseOrThrow } from '../errors';
import {
  invalidRequest,
  notJson,
  route,
  temporalUnavailable,
  tooLarge,
  type Operations,
  type ResponseSpec,
} from '../route-spec';
import { RunAccess } from '../run-access';
import { jsonBody } from './onboardings';

export interface ErasureRoutesDeps {
  service: ErasureService;
  apiKeys: readonly string[];
  opsKeys: readonly string[];
  bodyLimit: string;
  logger: Logger;
}

const erasureParams = z.object({ erasureId: erasureIdSchema });

const unauthorized: ResponseSpec = { description: 'Missing or unknown key', errors: ['unauthorized'] };
const opsOnly: ResponseSpec = {
  description: "A product backend's key: only an ops key (API_OPS_KEYS) may do this",
  errors: ['forbidden'],
};

export const ERASURE_OPERATIONS = {
  erase: {
    method: 'delete',
    path: '/v1/onboardings/:customerId',
    summary: "Erase a customer's data (ops)",
    description:
      "Needs an ops key. Runs an erasure: ends the customer's open onboarding run, deletes the stored documents, asks Ondato to redact every verification of the customer, writes an audit record without personal data (who, when, what, by id), deletes the onboarding histories from Temporal, and sends `onboarding.erased`. A request while an erasure runs joins it. Refused under a legal hold. Ondato's API has no deletion of KYC identifications or their files: only the redaction of a verification, which Ondato carries out asynchronously.",
    tag: 'Onboardings',
    security: 'opsKey',
    params: customerParams,
    responses: {
      202: {
        description: 'Erasure accepted (running, joined, or held until a worker takes it)',
        body: erasureAcceptedSchema,
        headers: ['Location'],
      },
      400: { description: 'Invalid customer id', errors: ['validation_failed'] },
      401: unauthorized,
      403: opsOnly,
      404: { description: 'No onboarding and no aftercare for this customer', errors: ['not_found'] },
      409: { description: 'A legal hold is on: nothing is erased', errors: ['legal_hold'] },
      503: temporalUnavailable,
    },
  },
  erasure: {
    method: 'get',
    path: '/v1/erasures/:erasureId',
    summary: "An erasure's audit record (ops)",
    description: 'Needs an ops key. Ids, counts and times only.',
    tag: 'Onboardings',
    security: 'opsKey',
    params: erasureParams,
    responses: {
      200: {
        description: 'The record (status running, completed or refused_legal_hold)',
        body: erasureRecordSchema,
      },
      400: { description: 'Invalid erasure id', errors: ['validation_failed'] },
      401: unauthorized,
      403: opsOnly,
      404: { description: 'No such erasure', errors: ['not_found'] },
      503: temporalUnavailable,
    },
  },
  legalHold: {
    method: 'put',
    path: '/v1/onboardings/:customerId/legal-hold',
    summary: "Place or lift a customer's legal hold (ops)",
    description:
      "Needs an ops key; records the key's identity. While a hold is on, neither retention nor an erasure request erases anything; lifting it lets a retention that came due proceed. Refused while an erasure runs.",
    tag: 'Onboardings',
    security: 'opsKey',
    params: customerParams,
    body: { schema: legalHoldRequestSchema },
    responses: {
      200: { description: 'Applied: the aftercare state', body: aftercareStateSchema },
      202: {
        description: 'Temporal holds the request but no worker has applied it within API_TEMPORAL_TIMEOUT_MS',
        body: pendingHoldSchema,
      },
      400: invalidRequest,
      401: unauthorized,
      403: opsOnly,
      404: { description: 'No onboarding and no aftercare for this customer', errors: ['not_found'] },
      409: { description: 'An erasure is running for this customer', errors: ['erasure_in_progress'] },
      413: tooLarge,
      415: notJson,
      503: temporalUnavailable,
    },
  },
} satisfies Operations;

export function erasureRoutes(deps: ErasureRoutesDeps): Router {
  const router = Router();
  const keys: RoleKeys = { backend: parseKeyEntries(deps.apiKeys), ops: parseKeyEntries(deps.opsKeys) };
  const { service, logger } = deps;

  route(
    router,
    ERASURE_OPERATIONS.erase,
    requireRole(keys, ['ops'], 'erase a customer'),
    async (req, res) => {
      const customerId = customerIdOf(req);
      const requestedBy = callerOf(res).identity;
      const accepted = await service.erase(customerId, requestedBy);
      logger.info(
        {
          reqId: req.id,
          customerId,
          erasureId: accepted.erasureId,
          requestedBy,
          status: accepted.status,
          joined: accepted.joined,
        },
        'erasure requested',
      );
      res.status(202).location(erasureLink(accepted.erasureId)).json(accepted);
    },
  );

  route(
    router,
    ERASURE_OPERATIONS.erasure,
    requireRole(keys, ['ops'], 'read an erasure'),
    async (req, res) => {
      const { erasureId } = parseOrThrow(erasureParams, req.params, 'erasure id');
      res.json(erasureRecordSchema.parse(await service.erasure(erasureId)));
    },
  );

  route(
    router,
    ERASURE_OPERATIONS.legalHold,
    requireRole(keys, ['ops'], 'set a legal hold'),
    ...jsonBody(deps.bodyLimit),
    async (req, res) => {
      const customerId = customerIdOf(req);
      const body = parseOrThrow(legalHoldRequestSchema, req.body);
      const requestedBy = callerOf(res).identity;
      const outcome = await service.setLegalHold(customerId, { ...body, requestedBy });
      logger.info(
        { reqId: req.id, customerId, on: body.on, requestedBy, pending: !outcome.applied },
        outcome.applied ? 'legal hold set' : 'legal hold pending',
      );
      if (outcome.applied) res.json(outcome.state);
      else res.status(202).json(outcome.pending);
    },
  );

  return router;
}

/** The routes as the app mounts them, built from its client and configuration. */
export function erasureRoutesFor(
  temporal: Client,
  config: Pick<AppConfig, 'api' | 'temporal'>,
  logger: Logger,
): Router {
  const { api } = config;
  return erasureRoutes({
    service: new ErasureService(new RunAccess(temporal, api.temporalTimeoutMs), config.temporal.taskQueue),
    apiKeys: api.keys,
    opsKeys: api.opsKeys,
    bodyLimit: api.bodyLimit,
    logger,
  });
}
