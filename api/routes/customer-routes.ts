/** What every `/v1/onboardings/:customerId/...` route shares: the path parameter, the Location, start answers. */
import type { Request } from 'express';
import { z } from 'zod';
import { parseOrThrow } from '../errors';
import type { StartOutcome } from '../onboarding-service';
import type { ResponseSpec } from '../route-spec';
import { customerIdSchema, onboardingLinkSchema } from '../schemas';

export const customerParams = z.object({ customerId: customerIdSchema });

export function customerIdOf(req: Request): string {
  return parseOrThrow(customerParams, req.params, 'customer id').customerId;
}

export function locationOf(customerId: string): string {
  return `/v1/onboardings/${encodeURIComponent(customerId)}`;
}

/** 201 when this call started the run, 200 when it joined one, 202 when the customer URL is not ready yet. */
export function statusFor(outcome: StartOutcome): number {
  if (!outcome.ready) return 202;
  return outcome.link.created ? 201 : 200;
}

/** The documented answer of a call that starts (or joins) a run: its link, with a Location. */
export const started = (description: string): ResponseSpec => ({
  description,
  body: onboardingLinkSchema,
  headers: ['Location'],
});
