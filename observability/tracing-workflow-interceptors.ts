/**
 * The workflow side of tracing, bundled into the workflow code (`workflowInterceptorModules`). A run is traced
 * only when the client that started it was (its start carries the trace header); every other run, and every
 * history recorded before tracing existed, goes straight through, so replay is as before and untraced runs
 * pay nothing but the check. The OpenTelemetry interceptors are built only for traced runs.
 */
import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow';
import type {
  Headers,
  WorkflowInboundCallsInterceptor,
  WorkflowInterceptors,
  WorkflowInternalsInterceptor,
  WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';

/** The header the Temporal OpenTelemetry interceptors carry the trace context in. */
const TRACE_HEADER = '_tracer-data';

interface TracedRun {
  inbound: OpenTelemetryInboundInterceptor;
  outbound: OpenTelemetryOutboundInterceptor;
  internals: OpenTelemetryInternalsInterceptor;
}

export const interceptors = (): WorkflowInterceptors => {
  // One per run: the factory is called for every workflow the worker runs.
  let traced: TracedRun | undefined;
  const isTraced = (headers: Headers): boolean => headers[TRACE_HEADER] !== undefined;

  const inbound: WorkflowInboundCallsInterceptor = {
    execute(input, next) {
      if (!isTraced(input.headers)) return next(input);
      traced = {
        inbound: new OpenTelemetryInboundInterceptor(),
        outbound: new OpenTelemetryOutboundInterceptor(),
        internals: new OpenTelemetryInternalsInterceptor(),
      };
      return traced.inbound.execute(input, next);
    },
    handleSignal: (input, next) => (traced ? traced.inbound.handleSignal(input, next) : next(input)),
    handleUpdate: (input, next) => (traced ? traced.inbound.handleUpdate(input, next) : next(input)),
    validateUpdate: (input, next) => (traced ? traced.inbound.validateUpdate(input, next) : next(input)),
    handleQuery: (input, next) => (traced ? traced.inbound.handleQuery(input, next) : next(input)),
  };

  const outbound: WorkflowOutboundCallsInterceptor = {
    scheduleActivity: (input, next) => (traced ? traced.outbound.scheduleActivity(input, next) : next(input)),
    scheduleLocalActivity: (input, next) =>
      traced ? traced.outbound.scheduleLocalActivity(input, next) : next(input),
    startChildWorkflowExecution: (input, next) =>
      traced ? traced.outbound.startChildWorkflowExecution(input, next) : next(input),
    continueAsNew: (input, next) => (traced ? traced.outbound.continueAsNew(input, next) : next(input)),
    signalWorkflow: (input, next) => (traced ? traced.outbound.signalWorkflow(input, next) : next(input)),
  };

  const internals: WorkflowInternalsInterceptor = {
    dispose(input, next) {
      if (traced) void traced.internals.dispose(input, next);
      else next(input);
    },
  };

  return { inbound: [inbound], outbound: [outbound], internals: [internals] };
};
