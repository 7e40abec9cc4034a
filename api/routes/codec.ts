/**
 * The codec endpoint (Temporal's codec-server protocol): `POST /codec/decode` and `POST /codec/encode`, body
 * and answer `{ payloads: [{ metadata: { key: base64 }, data: base64 }] }`. The Temporal UI (configured with
 * `--ui-codec-endpoint http://<api>/codec`) and the CLI (`temporal ... --codec-endpoint ... --codec-auth ...`)
 * call it to show decrypted payloads, so it hands out personal data and has its own access control:
 *
 * - `tokens`: `Authorization: Bearer <token>` with a token from CODEC_ENDPOINT_TOKENS (constant-time compare);
 * - `open`: no token configured and the Ondato simulator in use (the local stack, whose Temporal UI sends no
 *   credentials): anyone who can reach the API;
 * - `disabled`: no token configured with real Ondato: every call is refused.
 *
 * Browsers may call it from the CORS origins (CODEC_CORS_ORIGINS, the Temporal UI) only. `X-Namespace`, when
 * sent, must be the namespace this service runs in.
 */
import { Router, type RequestHandler } from 'express';
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { Logger } from 'pino';
import type { CodecEndpointAccess } from '../../config';
import { requireBearerToken } from '../auth';
import { ApiError, parseOrThrow } from '../errors';
import { invalidRequest, notJson, route, tooLarge, type Operation, type ResponseSpec } from '../route-spec';
import { codecPayloadsSchema, type CodecPayloads } from '../schemas';
import { jsonBody } from './onboardings';

/** A payload is at most 2 MB in Temporal; base64 makes that 2.7 MB. */
const CODEC_BODY_LIMIT = '4mb';
const CODEC_REALM = 'Bearer realm="onboarding-codec"';
const ALLOWED_HEADERS = 'Authorization, Content-Type, X-Namespace';
const PREFLIGHT_MAX_AGE_S = 600;

const originRefused: ResponseSpec = {
  description: 'Origin not allowed (CODEC_CORS_ORIGINS)',
  errors: ['forbidden'],
};

const undecryptable: ResponseSpec = {
  description: 'A payload names a key not in CODEC_KEYS, or fails authentication',
  errors: ['payload_undecryptable'],
};

function codecOperation(operation: 'encode' | 'decode'): Operation {
  // Encrypting uses the active key, which is always in the ring: only decoding can refuse a payload.
  const refusals: Operation['responses'] = operation === 'decode' ? { 422: undecryptable } : {};
  return {
    method: 'post',
    path: `/codec/${operation}`,
    summary: `${operation === 'decode' ? 'Decrypt' : 'Encrypt'} Temporal payloads (for the Temporal UI and CLI)`,
    description:
      "Temporal's codec-server protocol. Bearer token from CODEC_ENDPOINT_TOKENS; without tokens the endpoint is open in simulator mode (local stack) and disabled otherwise. Browsers: CODEC_CORS_ORIGINS only. `X-Namespace`, when sent, must be this service's namespace.",
    tag: 'Codec',
    security: 'codecToken',
    body: { schema: codecPayloadsSchema },
    responses: {
      200: { description: 'The payloads, same order', body: codecPayloadsSchema },
      400: invalidRequest,
      401: { description: 'Missing or invalid codec token', errors: ['unauthorized'] },
      403: {
        description: 'Origin not allowed, another namespace, or the endpoint is disabled',
        errors: ['forbidden'],
      },
      413: tooLarge,
      415: notJson,
      ...refusals,
    },
  };
}

function preflightOperation(operation: 'encode' | 'decode'): Operation {
  return {
    method: 'options',
    path: `/codec/${operation}`,
    summary: `CORS preflight of ${operation} for the Temporal UI`,
    tag: 'Codec',
    security: 'none',
    responses: {
      204: { description: `Allowed: Access-Control-Allow-Methods, -Headers (${ALLOWED_HEADERS}), -Max-Age` },
      403: originRefused,
    },
  };
}

export const CODEC_OPERATIONS = {
  encode: codecOperation('encode'),
  decode: codecOperation('decode'),
  encodePreflight: preflightOperation('encode'),
  decodePreflight: preflightOperation('decode'),
};

export interface CodecRoutesDeps {
  codec: PayloadCodec;
  access: CodecEndpointAccess;
  tokens: readonly string[];
  corsOrigins: readonly string[];
  namespace: string;
  logger: Logger;
}

function toPayloads(body: CodecPayloads): Payload[] {
  return body.payloads.map((payload) => ({
    metadata: Object.fromEntries(
      Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')]),
    ),
    data: Buffer.from(payload.data ?? '', 'base64'),
  }));
}

function toJson(payloads: Payload[]): CodecPayloads {
  return {
    payloads: payloads.map((payload) => ({
      metadata: Object.fromEntries(
        Object.entries(payload.metadata ?? {}).map(([key, value]) => [
          key,
          Buffer.from(value).toString('base64'),
        ]),
      ),
      data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64'),
    })),
  };
}

export function codecRoutes(deps: CodecRoutesDeps): Router {
  const router = Router();
  const origins = new Set(deps.corsOrigins);

  /** CORS for the Temporal UI: its origin gets the headers, other browser origins are refused. */
  const cors: RequestHandler = (req, res, next) => {
    const origin = req.get('origin');
    if (origin === undefined) return next();
    res.vary('Origin');
    if (!origins.has(origin)) {
      return next(new ApiError(403, 'forbidden', 'This origin may not call the codec endpoint'));
    }
    res.setHeader('Access-Control-Allow-Origin', origin);
    // The UI may be set to send credentials; access still rests on the bearer token, never on cookies.
    res.setHeader('Access-Control-Allow-Credentials', 'true');
    next();
  };

  const namespace: RequestHandler = (req, _res, next) => {
    // The Temporal CLI sends an empty X-Namespace when given no --namespace: that names none.
    const asked = req.get('x-namespace');
    if (asked && asked !== deps.namespace) {
      return next(new ApiError(403, 'forbidden', `This codec serves the namespace "${deps.namespace}" only`));
    }
    next();
  };

  const auth: RequestHandler =
    deps.access === 'tokens'
      ? requireBearerToken(
          deps.tokens,
          CODEC_REALM,
          'A valid codec token is required (Authorization: Bearer <token>)',
        )
      : deps.access === 'open'
        ? (_req, _res, next) => next()
        : (_req, _res, next) =>
            next(
              new ApiError(
                403,
                'forbidden',
                'The codec endpoint is disabled: no CODEC_ENDPOINT_TOKENS configured',
              ),
            );

  for (const preflight of [CODEC_OPERATIONS.encodePreflight, CODEC_OPERATIONS.decodePreflight]) {
    route(router, preflight, cors, (_req, res) => {
      res
        .setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS')
        .setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS)
        .setHeader('Access-Control-Max-Age', String(PREFLIGHT_MAX_AGE_S))
        .status(204)
        .end();
    });
  }

  const json = jsonBody(CODEC_BODY_LIMIT);
  for (const operation of ['encode', 'decode'] as const) {
    route(router, CODEC_OPERATIONS[operation], cors, namespace, auth, ...json, async (req, res) => {
      const payloads = toPayloads(parseOrThrow(codecPayloadsSchema, req.body));
      let result: Payload[];
      try {
        result =
          operation === 'encode' ? await deps.codec.encode(payloads) : await deps.codec.decode(payloads);
      } catch (error) {
        // Unknown key id or failed authentication: the message names the key id, never material or content.
        const message = error instanceof Error ? error.message : String(error);
        deps.logger.warn(
          { reqId: req.id, operation, err: { type: (error as Error)?.name, message } },
          'codec refused',
        );
        throw new ApiError(422, 'payload_undecryptable', message);
      }
      res.setHeader('Cache-Control', 'no-store').json(toJson(result));
    });
  }

  return router;
}
