/**
 * The service's own metrics in the worker process (prom-client): runs started, decided by outcome, parked and
 * failed, callbacks by event and result, Ondato calls by endpoint and status with latency, documents stored.
 * Labels are fixed words (endpoints, outcomes, failure types, stages), never ids, so cardinality stays bounded.
 * One registry per process: every worker the process runs counts into it.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { CALLBACK_EVENT_TYPES, FailureType, OUTCOMES, STAGES } from '../contract';

/** Ondato answers in tens to hundreds of milliseconds; downloads and a struggling Ondato take seconds. */
const ONDATO_LATENCY_BUCKETS_SECONDS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class OnboardingMetrics {
  readonly registry = new Registry();

  readonly runsStarted = new Counter({
    name: 'onboarding_runs_started_total',
    help: 'Onboarding runs that created their Ondato verification (a new IDV, not a reused one)',
    registers: [this.registry],
  });

  readonly runsDecided = new Counter({
    name: 'onboarding_runs_decided_total',
    help: 'Onboarding runs that reached their final outcome, by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly runsParked = new Counter({
    name: 'onboarding_runs_parked_total',
    help: 'Times a run parked in needs_attention, by the step that failed',
    labelNames: ['step'] as const,
    registers: [this.registry],
  });

  readonly runsFailed = new Counter({
    name: 'onboarding_runs_failed_total',
    help: 'Runs that failed for good, by failure type',
    labelNames: ['failure_type'] as const,
    registers: [this.registry],
  });

  readonly reviewEscalations = new Counter({
    name: 'onboarding_review_escalations_total',
    help: 'Manual reviews that waited past their escalation deadline',
    registers: [this.registry],
  });

  readonly callbacks = new Counter({
    name: 'onboarding_callbacks_total',
    help: 'Callback attempts to the product backend, by event type and result (delivered, no_url, failed)',
    labelNames: ['event', 'result'] as const,
    registers: [this.registry],
  });

  readonly ondatoRequests = new Counter({
    name: 'onboarding_ondato_requests_total',
    help: 'Calls to Ondato by endpoint and status (an HTTP status, ok, network, timeout, aborted, malformed)',
    labelNames: ['endpoint', 'status'] as const,
    registers: [this.registry],
  });

  readonly ondatoLatency = new Histogram({
    name: 'onboarding_ondato_request_duration_seconds',
    help: 'Latency of calls to Ondato by endpoint (downloads: until the response headers)',
    labelNames: ['endpoint'] as const,
    buckets: ONDATO_LATENCY_BUCKETS_SECONDS,
    registers: [this.registry],
  });

  readonly documentsStored = new Counter({
    name: 'onboarding_documents_stored_total',
    help: 'Document files copied from Ondato into the document store',
    registers: [this.registry],
  });

  readonly documentBytes = new Counter({
    name: 'onboarding_document_bytes_stored_total',
    help: 'Bytes of document files copied into the document store',
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    // Every known series starts at 0: a first event then shows in rate(), and dashboards find every name.
    for (const outcome of OUTCOMES) if (outcome !== 'manual_review') this.runsDecided.inc({ outcome }, 0);
    for (const step of STAGES) this.runsParked.inc({ step }, 0);
    for (const failureType of Object.values(FailureType))
      this.runsFailed.inc({ failure_type: failureType }, 0);
    for (const event of CALLBACK_EVENT_TYPES)
      for (const result of ['delivered', 'no_url', 'failed']) this.callbacks.inc({ event, result }, 0);
    // CPU, memory, event-loop lag, GC: what tells a slow worker from a busy one.
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** The Prometheus text exposition of every metric above. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

let processMetrics: OnboardingMetrics | undefined;

/** The process's one registry of service metrics (created on first use). */
export function onboardingMetrics(): OnboardingMetrics {
  processMetrics ??= new OnboardingMetrics();
  return processMetrics;
}
