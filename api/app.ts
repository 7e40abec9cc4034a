/**
 * The Express app: onboarding routes for product backends, Ondato's webhook receiver, operational routes.
 * Built over injected dependencies and never listens itself (api/main.ts does), so tests mount it directly.
 */
import express from 'express';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { AesGcmPayloadCodec } from '../codec/aes-gcm-codec';
import { encryptsPayloads } from '../codec/data-converter';
import type { AppConfig } from '../config';
import { errorHandler, notFoundHandler } from './errors';
import { IdempotencyLedger } from './idempotency/ledger';
import { provideIdempotencyLedger } from './idempotency/middleware';
import { createRecordStore } from '../storage/record-store-factory';
import { requestLogging, routeOf } from './logging';
import { codecRoutes } from './routes/codec';
import { createConsole } from './console';
import { erasureRoutesFor } from './routes/erasure';
import { OnboardingLister } from './list-onboardings';
import { ApiMetrics } from './metrics';
import { OnboardingService } from './onboarding-service';
import { lifecycleRoutesFor } from './routes/lifecycle';
import { onboardingRoutes } from './routes/onboardings';
import { operationsRoutes } from './routes/operations';
import { webhookRoutes } from './routes/webhooks';
import { WebhookRelay } from './webhook-relay';
import { httpTracing } from '../observability/tracing-http';
import { tracingActive } from '../observability/tracing-state';

const READINESS_TIMEOUT_MS = 1_000;

/** The sections of the configuration the API reads; an `AppConfig` from `loadConfig()` fits. */
export type ApiConfig = Pick<AppConfig, 'temporal' | 'api' | 'codec' | 'callbacks' | 'documents' | 'console'>;

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
  const { api, temporal, codec } = deps.config;
  const now = deps.now ?? (() => new Date());
  const metrics = deps.metrics ?? new ApiMetrics({ temporal: deps.temporal });
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
  provideIdempotencyLedger(
    app,
    new IdempotencyLedger(createRecordStore(deps.config.documents, codec.keyRing, '_idempotency'), {
      ttlMs: api.idempotencyTtlMs,
      // Longer than any keyed handler runs: a start waits up to startWaitMs, then makes a few more calls.
      leaseMs: api.startWaitMs + 3 * api.temporalTimeoutMs,
      logger,
    }),
  );

  if (tracingActive()) app.use(httpTracing(routeOf));
  app.use(requestLogging(logger, metrics));
  app.use(
    operationsRoutes({
      temporal: deps.temporal,
      metrics,
      // Probes usually give up after a second or so: answer within that.
      readinessTimeoutMs: Math.min(api.temporalTimeoutMs, READINESS_TIMEOUT_MS),
      codecAccess: codec.endpointAccess,
    }),
  );
  app.use(
    onboardingRoutes({
      service: new OnboardingService({
        client: deps.temporal,
        taskQueue: temporal.taskQueue,
        startWaitMs: api.startWaitMs,
        callTimeoutMs: api.temporalTimeoutMs,
      }),
      lister: new OnboardingLister({ client: deps.temporal, callTimeoutMs: api.temporalTimeoutMs }),
      apiKeys: api.keys,
      opsKeys: api.opsKeys,
      bodyLimit: api.bodyLimit,
      logger,
      callbackTargets: deps.config.callbacks.targets,
    }),
  );
  app.use(
    webhookRoutes({
      relay: new WebhookRelay({
        client: deps.temporal,
        callTimeoutMs: api.temporalTimeoutMs,
        visibilityGraceMs: api.webhooks.visibilityGraceMs,
        now,
      }),
      auth: api.webhooks,
      bodyLimit: api.bodyLimit,
      logger,
      metrics,
      now,
    }),
  );
  app.use(
    codecRoutes({
      codec: new AesGcmPayloadCodec(codec.keyRing),
      access: codec.endpointAccess,
      tokens: codec.endpointTokens,
      corsOrigins: codec.corsOrigins,
      namespace: temporal.namespace,
      logger,
    }),
  );
  app.use(erasureRoutesFor(deps.temporal, deps.config, logger));
  app.use(lifecycleRoutesFor(deps.temporal, deps.config, logger));
  app.use(createConsole({ temporal: deps.temporal, config: deps.config, logger }));
  app.use(notFoundHandler);
  app.use(errorHandler(logger));
  return app;
}
