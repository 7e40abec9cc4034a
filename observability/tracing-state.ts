/**
 * Whether this process traces, read by the code that adds spans (HTTP, Temporal interceptors, Ondato calls)
 * so that with tracing off they add nothing at all. Set once by `startTracing` (observability/tracing.ts).
 */
import type { Resource } from '@opentelemetry/resources';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';

export interface ActiveTracing {
  /** Where finished spans go; the worker also hands workflow spans to it (through a sink). */
  spanProcessor: SpanProcessor;
  resource: Resource;
}

let active: ActiveTracing | undefined;

export function setActiveTracing(tracing: ActiveTracing | undefined): void {
  active = tracing;
}

export function activeTracing(): ActiveTracing | undefined {
  return active;
}

export function tracingActive(): boolean {
  return active !== undefined;
}
