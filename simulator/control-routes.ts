/**
 * The JSON control API for tests, benchmarks and the demo, under `/_sim` and without auth (the simulator
 * listens on loopback). Errors use Ondato's `{ reason, message, params }` format too.
 */
import express, { type Response, type Router } from 'express';
import type { z } from 'zod';
import {
  completeRequestSchema,
  decideRequestSchema,
  faultRequestSchema,
  patchIdvRequestSchema,
  patchKycRequestSchema,
  webhookSettingsUpdateSchema,
} from './control-schemas';
import type { SimulatorControls } from './controls';
import { sendOndatoError, sendValidationFailed } from './ondato-errors';
import { pathParam } from './path-param';
import { FlowError } from './verification-flow';

export function controlRoutes(controls: SimulatorControls): Router {
  const router = express.Router();
  router.use(express.json({ limit: '1mb' }));

  /** Parses the body with `schema`, runs `action`, answers its result as JSON (or the error). */
  const handle =
    <Schema extends z.ZodType>(schema: Schema, action: (body: z.output<Schema>, id: string) => unknown) =>
    (req: express.Request, res: Response): void => {
      const body = schema.safeParse(req.body ?? {}, { reportInput: true });
      if (!body.success) {
        sendValidationFailed(res, body.error);
        return;
      }
      respond(res, () => action(body.data, pathParam(req.params.id)));
    };

  router.post(
    '/identity-verifications/:id/complete',
    handle(completeRequestSchema, (body, id) => controls.complete(id, body)),
  );
  router.post(
    '/identifications/:id/decide',
    handle(decideRequestSchema, (body, id) => controls.decide(id, body)),
  );
  router.get('/identity-verifications', (req, res) => {
    const externalReferenceId =
      typeof req.query.externalReferenceId === 'string' ? req.query.externalReferenceId : undefined;
    res.json(controls.verifications({ externalReferenceId }));
  });
  router.get('/identity-verifications/:id', (req, res) =>
    respond(res, () => controls.verification(pathParam(req.params.id))),
  );
  router.patch(
    '/identity-verifications/:id',
    handle(patchIdvRequestSchema, (body, id) => controls.patchVerification(id, body)),
  );
  router.patch(
    '/identifications/:id',
    handle(patchKycRequestSchema, (body, id) => controls.patchIdentification(id, body)),
  );

  router.get('/faults', (_req, res) => res.json(controls.activeFaults()));
  router.post(
    '/faults',
    handle(faultRequestSchema, (body) => controls.setFault(body)),
  );
  router.delete('/faults', (_req, res) => {
    controls.clearFaults();
    res.status(204).end();
  });

  router.post('/tokens/expire', (_req, res) => res.json(controls.expireTokens()));

  router.get('/webhooks', (_req, res) => res.json(controls.webhookLog()));
  router.put(
    '/webhooks',
    handle(webhookSettingsUpdateSchema, (body) => controls.setWebhooks(body)),
  );

  router.get('/stats', (_req, res) => res.json(controls.stats()));
  return router;
}

function respond(res: Response, action: () => unknown): void {
  try {
    res.json(action());
  } catch (error) {
    if (error instanceof FlowError) {
      sendOndatoError(res, error.status, error.message, { reason: error.reason });
      return;
    }
    throw error;
  }
}
