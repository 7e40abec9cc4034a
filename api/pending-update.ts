/**
 * The 202 answer of review, cancel and resume: Temporal holds the request for the run, but the run has not
 * finished handling it yet (no worker is running, or the run is slow to answer). It applies when a worker runs
 * the run; the same call again joins it and answers its result (the update id is derived from the request).
 */
import { z } from 'zod';

export const RUN_OPERATIONS = ['review', 'cancel', 'resume', 'relink'] as const;
export type RunOperation = (typeof RUN_OPERATIONS)[number];

export const pendingUpdateSchema = z
  .object({
    workflowId: z.string(),
    runId: z.string().optional(),
    operation: z.enum(RUN_OPERATIONS),
    updateId: z.string().describe('Derived from the request: sending the same request again joins this one'),
    updateStage: z
      .enum(['admitted', 'accepted'])
      .describe(
        "admitted: Temporal holds the request until a worker runs the run, whose checks may still refuse it (409 on the same call then); accepted: the run's checks passed and it is applying it",
      ),
    message: z.string(),
  })
  .meta({
    id: 'PendingUpdate',
    description:
      'A request Temporal holds for the run and the run has not finished. Poll GET for the state, or send the same request again: it answers with the result once there is one.',
    examples: [
      {
        workflowId: 'onboarding-c-42',
        runId: '0195a8f2-7c11-7d2e-9a53-1f0e4c2b9d61',
        operation: 'review',
        updateId: 'review-5f1c0b8e0d2a4c47a3b1e6d9c8f7a2b4',
        updateStage: 'admitted',
        message: 'Held by Temporal until a worker runs the onboarding; it applies then',
      },
    ],
  });

export type PendingUpdate = z.output<typeof pendingUpdateSchema>;
