/**
 * The simulated Ondato endpoints: token server, IDV API and KYC Identifications API, all on one host. Each
 * route counts the request, applies injected faults, checks the bearer token and its scope, then answers.
 */
import { pipeline } from 'node:stream';
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import type { FaultRoute } from './control-schemas';
import { SUBSTITUTE_ID_LOCAL, type FaultInjector } from './faults';
import { jpegStream, planJpeg } from './images';
import type { Logger } from './log';
import { sendOndatoError, sendValidationFailed } from './ondato-errors';
import { pathParam } from './path-param';
import { eraseVerification } from './redaction';
import type { RequestCounter } from './request-counter';
import { createIdvInputSchema, tokenFormSchema } from './request-schemas';
import { identityVerificationResource, kycIdentificationResource } from './resources';
import { findFile, type SimulatorStore } from './store';
import type { TokenIssuer } from './tokens';

export interface OndatoRoutesDeps {
  store: SimulatorStore;
  tokens: TokenIssuer;
  faults: FaultInjector;
  counter: RequestCounter;
  logEvent: Logger;
}

const IDV_WRITE = ['idv_api'];
const IDV_READ = ['idv_api', 'idv_api_readonly'];
const KYC_READ = ['kyc_identifications_api', 'kyc_identifications_api_readonly'];

/** How long the simulated erasure takes after a redaction request: long enough to be seen pending. */
const REDACTION_DELAY_MS = 200;

/** The id the route answers for: the path's, unless a 'substitute' fault swapped in another session's. */
function requestedId(req: Request, res: Response): string {
  const substitute: unknown = res.locals[SUBSTITUTE_ID_LOCAL];
  return typeof substitute === 'string' ? substitute : pathParam(req.params.id);
}

export function ondatoRoutes(deps: OndatoRoutesDeps): Router {
  const { store, tokens, logEvent } = deps;
  const router = express.Router();
  const entry = (route: FaultRoute): RequestHandler[] => [
    deps.counter.middleware(route),
    deps.faults.middleware(route),
  ];
  const requireScope =
    (accepted: string[]): RequestHandler =>
    (req, res, next) => {
      const result = tokens.verify(req.get('authorization'));
      if (!result.ok) {
        res.set('WWW-Authenticate', `Bearer error="invalid_token"`);
        sendOndatoError(
          res,
          401,
          result.problem === 'expired' ? 'The access token expired' : 'Not authenticated',
        );
        return;
      }
      if (!result.scopes.some((scope) => accepted.includes(scope))) {
        sendOndatoError(res, 403, `The access token lacks a scope among: ${accepted.join(', ')}`);
        return;
      }
      next();
    };

  router.post(
    '/connect/token',
    ...entry('token'),
    express.urlencoded({ extended: false, limit: '10kb' }),
    (req, res) => {
      const form = tokenFormSchema.safeParse(req.body ?? {});
      const result = form.success
        ? tokens.issue(form.data, req.get('authorization'))
        : {
            ok: false as const,
            status: 400 as const,
            body: { error: 'invalid_request', error_description: 'Bad form' },
          };
      res.set('Cache-Control', 'no-store');
      if (!result.ok) {
        logEvent('token.refused', { error: result.body.error });
        res.status(result.status).json(result.body);
        return;
      }
      logEvent('token.issued', { expiresIn: result.body.expires_in, scope: result.body.scope });
      res.json(result.body);
    },
  );

  router.post(
    '/v1/identity-verifications',
    ...entry('createIdv'),
    requireScope(IDV_WRITE),
    express.json({ limit: '100kb' }),
    (req, res) => {
      const input = createIdvInputSchema.safeParse(req.body, { reportInput: true });
      if (!input.success) {
        sendValidationFailed(res, input.error);
        return;
      }
      const idv = store.createIdentityVerification(input.data, new Date());
      logEvent('idv.created', { idvId: idv.id });
      res.status(201).json({ id: idv.id });
    },
  );

  router.get('/v1/identity-verifications/:id', ...entry('getIdv'), requireScope(IDV_READ), (req, res) => {
    const idv = store.identityVerification(requestedId(req, res));
    if (!idv) {
      sendOndatoError(res, 404, 'Identity verification not found');
      return;
    }
    const kyc = idv.kycIdentificationId ? store.identification(idv.kycIdentificationId) : undefined;
    res.json(identityVerificationResource(idv, store.applicationId, kyc));
  });

  // Asynchronous erasure: accepted now, `redaction.redactedUtc` appears on the IDV once it is done (./redaction.ts).
  router.put(
    '/v1/identity-verifications/:id/redact',
    ...entry('redactIdv'),
    requireScope(IDV_WRITE),
    express.json({ limit: '10kb' }),
    (req, res) => {
      const idv = store.identityVerification(pathParam(req.params.id));
      if (!idv) {
        sendOndatoError(res, 404, 'Identity verification not found');
        return;
      }
      if (!idv.redaction) {
        idv.redaction = { requestedUtc: new Date().toISOString(), redactedUtc: null };
        store.changed();
        logEvent('idv.redaction_requested', { idvId: idv.id });
        const erased = idv;
        setTimeout(() => {
          const kyc = erased.kycIdentificationId
            ? store.identification(erased.kycIdentificationId)
            : undefined;
          eraseVerification(erased, kyc);
          if (erased.redaction) erased.redaction.redactedUtc = new Date().toISOString();
          store.changed();
          logEvent('idv.redacted', { idvId: erased.id });
        }, REDACTION_DELAY_MS).unref();
      }
      res.status(202).end();
    },
  );

  router.get('/v1/identifications/:id', ...entry('getKyc'), requireScope(KYC_READ), (req, res) => {
    const kyc = store.identification(requestedId(req, res));
    if (!kyc) {
      sendOndatoError(res, 404, 'Identification not found');
      return;
    }
    res.json(kycIdentificationResource(kyc, store.applicationId));
  });

  router.get(
    '/v1/identifications/:id/files/:fileId',
    ...entry('downloadFile'),
    requireScope(KYC_READ),
    (req, res) => {
      const kyc = store.identification(pathParam(req.params.id));
      const file = kyc && findFile(kyc, pathParam(req.params.fileId));
      if (!kyc || !file) {
        sendOndatoError(res, 404, 'File not found');
        return;
      }
      const plan = planJpeg(file.fileId, kyc.documentBytes, file.imageKind);
      res.status(200).set({
        'Content-Type': 'image/jpeg',
        'Content-Length': String(plan.totalBytes),
        'Content-Disposition': `inline; filename="${file.fileName}"`,
      });
      const startedAt = Date.now();
      pipeline(jpegStream(plan), res, (error) => {
        logEvent(error ? 'file.aborted' : 'file.sent', {
          kycId: kyc.id,
          fileId: file.fileId,
          bytes: plan.totalBytes,
          durationMs: Date.now() - startedAt,
        });
      });
    },
  );

  return router;
}
