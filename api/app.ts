/**
 * The Express app: onboarding routes for product backends, Ondato's webhook receiver, operational routes.
 * Built over injected dependencies and never listens itself (api/main.ts does), so tests mount it directly.
 */
import express from 'express';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { AesGcmPayloadCodec } from '../codec/aes-gcm-codec';
import { encryptsPayloads } from '../codec/data-converter';
import type { CodecSettings, Env } from '../config/env';
import { errorHandler, notFoundHandler } from './errors';
import { requestLogging } from './logging';
import { codecRoutes } from './routes/codec';
import { ApiMetrics } from './metrics';
import { OnboardingService } from './onboarding-service';
import { onboardingRoutes } from './routes/onboardings';
import { operationsRoutes } from './routes/operations';
import { webhookRoutes } from './routes/webhooks';
import { WebhookRelay } from './webhook-relay';

const READINESS_TIMEOUT_MS = 1_000;

/** The configuration the API reads; an `AppConfig` from `loadConfig()` fits. */
export interface ApiConfig {
  env: Pick<
    Env,
    | 'TEMPORAL_NAMESPACE'
    | 'TEMPORAL_TASK_QUEUE'
    | 'API_KEYS'
    | 'API_BODY_LIMIT'
    | 'API_START_WAIT_MS'
    | 'API_TEMPORAL_TIMEOUT_MS'
    | 'WEBHOOK_USERNAME'
    | 'WEBHOOK_PASSWORD'
    | 'WEBHOOK_HMAC_SECRET'
    | 'WEBHOOK_IP_ALLOWLIST'
    | 'WEBHOOK_TRUST_PROXY'
    | 'WEBHOOK_SIGNATURE_TOLERANCE_S'
    | 'WEBHOOK_VISIBILITY_GRACE_MS'
  >;
  codec: CodecSettings;
}

export interface AppDeps {
  /** A client on the namespace the workers serve, with the encrypting data converter (`createDataConverter`). */
  temporal: Client;
  config: ApiConfig;
  logger: Logger;
  /** The clock for signature freshness and webhook age; tests move it. */
  now?: () => Date;
  /** Shared when several apps should report into one registry; a fresh one otherwise. */
  metrics?: ApiMetrics;
}

export function createApp(deps: AppDeps): express.Express {
  const { env } = deps.config;
  const now = deps.now ?? (() => new Date());
  const metrics = deps.metrics ?? new ApiMetrics();
  const logger = deps.logger;
  if (!encryptsPayloads(deps.temporal.options.loadedDataConverter)) {
    throw new Error(
      'the API needs a Temporal client with the encrypting data converter (createDataConverter(config))',
    );
  }

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // Source addresses for the webhook allow-list are read explicitly (see auth.ts), never through express.
  app.set('trust proxy', false);

  app.use(requestLogging(logger, metrics));
  app.use(
    operationsRoutes({
      temporal: deps.temporal,
      metrics,
      // Probes usually give up after a second or so: answer within that.
      readinessTimeoutMs: Math.min(env.API_TEMPORAL_TIMEOUT_MS, READINESS_TIMEOUT_MS),
    }),
  );
  app.use(
    onboardingRoutes({
      service: new OnboardingService({
        client: deps.temporal,
        taskQueue: env.TEMPORAL_TASK_QUEUE,
        startWaitMs: env.API_START_WAIT_MS,
        callTimeoutMs: env.API_TEMPORAL_TIMEOUT_MS,
      }),
      apiKeys: env.API_KEYS,
      bodyLimit: env.API_BODY_LIMIT,
      logger,
    }),
  );
  app.use(
    webhookRoutes({
      relay: new WebhookRelay({
        client: deps.temporal,
        callTimeoutMs: env.API_TEMPORAL_TIMEOUT_MS,
        visibilityGraceMs: env.WEBHOOK_VISIBILITY_GRACE_MS,
        now,
      }),
      auth: {
        username: env.WEBHOOK_USERNAME,
        password: env.WEBHOOK_PASSWORD,
        hmacSecret: env.WEBHOOK_HMAC_SECRET,
        signatureToleranceSeconds: env.WEBHOOK_SIGNATURE_TOLERANCE_S,
        ipAllowList: env.WEBHOOK_IP_ALLOWLIST,
        trustProxy: env.WEBHOOK_TRUST_PROXY,
      },
      bodyLimit: env.API_BODY_LIMIT,
      logger,
      metrics,
      now,
    }),
  );
  app.use(
    codecRoutes({
      codec: new AesGcmPayloadCodec(deps.config.codec.keyRing),
      access: deps.config.codec.endpointAccess,
      tokens: deps.config.codec.endpointTokens,
      corsOrigins: deps.config.codec.corsOrigins,
      namespace: env.TEMPORAL_NAMESPACE,
      logger,
    }),
  );
  app.use(notFoundHandler);
  app.use(errorHandler(logger));
  return app;
}
