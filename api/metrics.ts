/**
 * The API's Prometheus registry (prom-client): request counts and latency by route template and status, webhook
 * outcomes, and how many runs wait in the stages ops care about (counted in Temporal's visibility store at
 * scrape time). Labels are route templates and fixed words, never ids, so cardinality stays bounded.
 */
import type { Client } from '@temporalio/client';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { OnboardingStageKey, type Stage } from '../contract';

const LATENCY_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Stages where runs wait on someone: the review queue, parked runs, customers and Ondato's own review. */
export const WAITING_STAGES = [
  'manual_review',
  'needs_attention',
  'awaiting_customer',
  'awaiting_ondato_review',
] as const satisfies readonly Stage[];

/** A scrape must answer even when Temporal is slow: past this, the waiting-runs gauge is left out. */
const VISIBILITY_DEADLINE_MS = 2_000;

export interface ApiMetricsOptions {
  /** Counts waiting runs at each scrape; without it the gauge is not exported. */
  temporal?: Client;
  /** CPU, memory, event loop and GC of the process (the API process turns it on; tests leave it off). */
  processMetrics?: boolean;
}

/** A visibility query for the open runs in one stage. */
export function waitingRunsQuery(stage: Stage): string {
  return `${OnboardingStageKey.name} = '${stage}' AND ExecutionStatus = 'Running'`;
}

export class ApiMetrics {
  private readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'onboarding_api_http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: 'onboarding_api_http_request_duration_seconds',
    help: 'HTTP request latency by method and route',
    labelNames: ['method', 'route'] as const,
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [this.registry],
  });
  private readonly webhooks = new Counter({
    name: 'onboarding_api_webhooks_total',
    help: 'Ondato webhook deliveries by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  constructor(options: ApiMetricsOptions = {}) {
    const temporal = options.temporal;
    if (temporal) {
      new Gauge({
        name: 'onboarding_runs_waiting',
        help: 'Open runs waiting in a stage (manual_review is the review backlog), from Temporal visibility',
        labelNames: ['stage'] as const,
        registers: [this.registry],
        async collect() {
          this.reset();
          try {
            const counts = await temporal.withDeadline(Date.now() + VISIBILITY_DEADLINE_MS, () =>
              Promise.all(
                WAITING_STAGES.map((stage) =>
                  temporal.workflowService.countWorkflowExecutions({
                    namespace: temporal.options.namespace,
                    query: waitingRunsQuery(stage),
                  }),
                ),
              ),
            );
            WAITING_STAGES.forEach((stage, index) => this.set({ stage }, Number(counts[index].count ?? 0)));
          } catch {
            // Temporal unreachable or slow: no figure rather than a wrong one or a failed scrape.
          }
        },
      });
    }
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  observeRequest(method: string, route: string, status: number, seconds: number): void {
    this.requests.inc({ method, route, status: String(status) });
    this.latency.observe({ method, route }, seconds);
  }

  /** `relayed`, `ignored`, `no_run`, `unroutable`, or a refusal such as `unauthorized` or `temporal_unavailable`. */
  countWebhook(outcome: string): void {
    this.webhooks.inc({ outcome });
  }

  /** The Prometheus text exposition. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
