/**
 * Counts what runs do from the activities' side, without touching workflow code (so replay is unchanged):
 * a created verification is a started run, the callback a run sends says how it ended (decided, parked,
 * failed, escalated), and a stored document carries its size. Counted on an activity's first attempt (a
 * retried callback is the same event); a worker that dies mid-activity may count an event twice.
 */
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { z } from 'zod';
import { CALLBACK_EVENT_TYPES, FailureType, OUTCOMES, STAGES } from '../contract';
import type { OnboardingMetrics } from './metrics';

/** Only what the counters need; anything unexpected is left uncounted rather than trusted as a label. */
const notifyArgs = z.object({
  event: z.object({
    type: z.enum(CALLBACK_EVENT_TYPES),
    outcome: z.enum(OUTCOMES).optional(),
    attention: z.object({ step: z.string() }).optional(),
    failure: z.object({ type: z.string() }).optional(),
  }),
});
const notifyResult = z.object({ delivered: z.boolean() });
const createResult = z.object({ reused: z.boolean().optional() });
const storeResult = z.object({ bytes: z.number().int().nonnegative() });

const KNOWN_FAILURE_TYPES = new Set<string>(Object.values(FailureType));
const KNOWN_STAGES = new Set<string>(STAGES);

function countEvent(metrics: OnboardingMetrics, event: z.infer<typeof notifyArgs>['event']): void {
  switch (event.type) {
    case 'onboarding.completed':
      metrics.runsDecided.inc({ outcome: event.outcome ?? 'unknown' });
      break;
    case 'onboarding.needs_attention': {
      const step = event.attention?.step;
      metrics.runsParked.inc({ step: step && KNOWN_STAGES.has(step) ? step : 'other' });
      break;
    }
    case 'onboarding.failed': {
      const type = event.failure?.type;
      metrics.runsFailed.inc({ failure_type: type && KNOWN_FAILURE_TYPES.has(type) ? type : 'other' });
      break;
    }
    case 'onboarding.review_escalated':
      metrics.reviewEscalations.inc();
      break;
  }
}

export function activityMetricsInterceptor(metrics: OnboardingMetrics): ActivityInterceptorsFactory {
  return (ctx) => ({
    inbound: {
      async execute(input, next) {
        const { activityType, attempt } = ctx.info;
        if (activityType !== 'notifyBackend') {
          const result = await next(input);
          if (activityType === 'storeDocument' || activityType === 'storeDocuments') {
            // One file, or every file of the identification (lean runs): each counted once, on success.
            for (const document of Array.isArray(result) ? (result as unknown[]) : [result]) {
              const stored = storeResult.safeParse(document);
              if (stored.success) {
                metrics.documentsStored.inc();
                metrics.documentBytes.inc(stored.data.bytes);
              }
            }
          } else if (activityType === 'createVerification') {
            const created = createResult.safeParse(result);
            if (created.success && !created.data.reused) metrics.runsStarted.inc();
          }
          return result;
        }
        const parsed = notifyArgs.safeParse(input.args[0]);
        const event = parsed.success ? parsed.data.event : undefined;
        if (event && attempt === 1) countEvent(metrics, event);
        const eventLabel = event?.type ?? 'unknown';
        try {
          const result = await next(input);
          const delivered = notifyResult.safeParse(result);
          metrics.callbacks.inc({
            event: eventLabel,
            result: delivered.success && delivered.data.delivered ? 'delivered' : 'no_url',
          });
          return result;
        } catch (error) {
          metrics.callbacks.inc({ event: eventLabel, result: 'failed' });
          throw error;
        }
      },
    },
  });
}
