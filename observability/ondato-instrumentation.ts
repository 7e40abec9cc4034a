/**
 * Measures every call the worker makes to Ondato, at the one boundary all activities go through (the
 * `OndatoApi`): a count by endpoint and status, the latency, and a client span when tracing is on. Wrapping the
 * interface keeps the Ondato client and the activities free of metrics code.
 */
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { OndatoApi } from '../ondato/api';
import { OndatoError } from '../ondato/errors';
import type { OnboardingMetrics } from './metrics';
import { tracingActive } from './tracing-state';

/** Endpoint labels: short, fixed, and the same in metrics, span names and the dashboard. */
export const ONDATO_ENDPOINTS = {
  createIdentityVerification: 'create_idv',
  getIdentityVerification: 'get_idv',
  getKycIdentification: 'get_kyc',
  downloadKycFile: 'download_file',
  redactIdentityVerification: 'redact_idv',
} as const satisfies Partial<Record<keyof OndatoApi, string>>;

type MeasuredCall = keyof typeof ONDATO_ENDPOINTS;

/** An HTTP status, or what went wrong before one arrived; never a message (it may echo personal data). */
export function ondatoStatusOf(error: unknown): string {
  if (!(error instanceof OndatoError)) return 'error';
  if (error.kind === 'http' && error.status !== undefined) return String(error.status);
  return error.kind === 'malformed_response' ? 'malformed' : error.kind;
}

const tracer = trace.getTracer('onboarding-ondato');

async function measured<T>(
  metrics: OnboardingMetrics,
  call: MeasuredCall,
  run: () => Promise<T>,
): Promise<T> {
  const endpoint = ONDATO_ENDPOINTS[call];
  const span = tracingActive()
    ? tracer.startSpan(`Ondato ${endpoint}`, {
        kind: SpanKind.CLIENT,
        attributes: { 'ondato.endpoint': endpoint },
      })
    : undefined;
  const started = process.hrtime.bigint();
  let status = 'ok';
  try {
    return await run();
  } catch (error) {
    status = ondatoStatusOf(error);
    span?.setStatus({ code: SpanStatusCode.ERROR, message: status });
    throw error;
  } finally {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    metrics.ondatoRequests.inc({ endpoint, status });
    metrics.ondatoLatency.observe({ endpoint }, seconds);
    if (span) {
      span.setAttribute('ondato.status', status);
      span.end();
    }
  }
}

/** The same API, measured. `customerUrl` makes no call and passes through. */
export function instrumentOndato(api: OndatoApi, metrics: OnboardingMetrics): OndatoApi {
  return {
    createIdentityVerification: (request, options) =>
      measured(metrics, 'createIdentityVerification', () => api.createIdentityVerification(request, options)),
    getIdentityVerification: (idvId, options) =>
      measured(metrics, 'getIdentityVerification', () => api.getIdentityVerification(idvId, options)),
    getKycIdentification: (kycId, options) =>
      measured(metrics, 'getKycIdentification', () => api.getKycIdentification(kycId, options)),
    downloadKycFile: (kycId, fileId, options) =>
      measured(metrics, 'downloadKycFile', () => api.downloadKycFile(kycId, fileId, options)),
    redactIdentityVerification: (idvId, options) =>
      measured(metrics, 'redactIdentityVerification', () => api.redactIdentityVerification(idvId, options)),
    customerUrl: (idvId) => api.customerUrl(idvId),
  };
}
