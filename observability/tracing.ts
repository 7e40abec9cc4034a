/**
 * OpenTelemetry tracing of a process (API or worker), on only when OTEL_EXPORTER_OTLP_ENDPOINT is set: spans
 * go over OTLP/HTTP (JSON) to `<endpoint>/v1/traces`, batched. Off, nothing is registered and every span site
 * checks `tracingActive()` first, so tracing costs nothing. Call `startTracing` once, before the Temporal
 * client or worker is built (they read whether tracing is on when built).
 *
 * The Temporal interceptors (@temporalio/interceptors-opentelemetry 1.24) are built on the 1.x OpenTelemetry
 * SDK: keep @opentelemetry/sdk-trace-* and resources on 1.x and the OTLP exporter on 0.57 (design.md).
 */
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import {
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
  makeWorkflowExporter,
  type OpenTelemetrySinks,
} from '@temporalio/interceptors-opentelemetry';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';
import type { TracingSettings } from '../config';
import { activeTracing, setActiveTracing } from './tracing-state';

export { tracingActive } from './tracing-state';

/** The workflow interceptor module, for `bundleWorkflowCode({ workflowInterceptorModules })`. */
export const WORKFLOW_INTERCEPTOR_MODULES = [require.resolve('./tracing-workflow-interceptors')];

export interface RunningTracing {
  /** Exports what is still buffered, then stops exporting. */
  shutdown(): Promise<void>;
}

/** OTLP/HTTP takes a base endpoint and appends the signal's path. */
export function tracesUrl(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, '')}/v1/traces`;
}

/** Registers the tracer provider when an OTLP endpoint is configured; undefined (and nothing done) otherwise. */
export function startTracing(settings: TracingSettings, serviceName: string): RunningTracing | undefined {
  if (!settings.otlpEndpoint) return undefined;
  if (activeTracing()) throw new Error('tracing is already started in this process');
  const resource = new Resource({ 'service.name': settings.serviceName ?? serviceName });
  const spanProcessor = new BatchSpanProcessor(
    new OTLPTraceExporter({ url: tracesUrl(settings.otlpEndpoint) }),
    // Small batches, sent often: a trace shows up within a second or so.
    { scheduledDelayMillis: 500 },
  );
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  // The global provider, the AsyncLocalStorage context manager and W3C trace-context propagation (the Temporal
  // interceptors carry the context in headers through it).
  provider.register();
  setActiveTracing({ spanProcessor, resource });
  return {
    async shutdown() {
      setActiveTracing(undefined);
      await provider.shutdown();
    },
  };
}

/** The Temporal client's interceptors: a span per start, signal, update and query, carried to the workflow. */
export function tracingClientInterceptors(): WorkflowClientInterceptor[] {
  return activeTracing() ? [new OpenTelemetryWorkflowClientInterceptor()] : [];
}

/** The worker's tracing: a span per activity attempt, and the sink that exports the workflows' spans. */
export function tracingWorkerOptions():
  { activity: ActivityInterceptorsFactory[]; sinks: InjectedSinks<OpenTelemetrySinks> } | undefined {
  const tracing = activeTracing();
  if (!tracing) return undefined;
  return {
    activity: [
      (ctx) => ({
        inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
        outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
      }),
    ],
    sinks: { exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource) },
  };
}
