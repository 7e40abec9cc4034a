/** What a product backend sends the API, and what the benchmark needs back. */
import { randomUUID } from 'node:crypto';
import { SAMPLE_REGISTRATION } from '../../simulator/sample-registration';
import type { OnboardingTimeouts } from '../../contract';
import { BENCH_CREDENTIALS } from '../infra/credentials';
import type { HttpClient } from '../infra/http-client';

/** A registration the simulator's document matches, so the policy approves. */
export const BENCH_REGISTRATION = SAMPLE_REGISTRATION;

/**
 * Waits that never fire during a benchmark: only webhooks move a run, and polling (at most once a day) cannot
 * dominate the load while thousands of runs wait.
 */
export const WEBHOOK_DRIVEN_TIMEOUTS: Partial<OnboardingTimeouts> = {
  customerDeadlineMs: 7 * 24 * 60 * 60 * 1000,
  ondatoReviewDeadlineMs: 7 * 24 * 60 * 60 * 1000,
  manualReviewEscalationMs: 7 * 24 * 60 * 60 * 1000,
  pollIntervalMs: 24 * 60 * 60 * 1000,
};

export interface StartedOnboarding {
  customerId: string;
  workflowId: string;
  idvId: string;
  customerUrl: string;
}

/** Customer ids unique to this run, so nothing collides with an earlier run's data. */
export function customerIds(prefix: string): (index: number) => string {
  const tag = randomUUID().slice(0, 8);
  return (index) => `bench-${prefix}-${tag}-${index}`;
}

export class OnboardingStartError extends Error {
  constructor(
    readonly status: number,
    body: string,
  ) {
    super(`POST /v1/onboardings answered ${status}: ${body.slice(0, 300)}`);
    this.name = 'OnboardingStartError';
  }
}

/** `POST /v1/onboardings`; resolves once the API answered with the customer URL. */
export async function startOnboarding(http: HttpClient, customerId: string): Promise<StartedOnboarding> {
  const answer = await http.postJson(
    '/v1/onboardings',
    { customerId, registration: BENCH_REGISTRATION, timeouts: WEBHOOK_DRIVEN_TIMEOUTS },
    { authorization: `Bearer ${BENCH_CREDENTIALS.apiKey}` },
  );
  if (answer.status !== 201 && answer.status !== 200)
    throw new OnboardingStartError(answer.status, answer.body);
  const link = JSON.parse(answer.body) as {
    workflowId?: string;
    idvId?: string | null;
    customerUrl?: string | null;
  };
  if (!link.workflowId || !link.idvId || !link.customerUrl)
    throw new OnboardingStartError(answer.status, answer.body);
  return { customerId, workflowId: link.workflowId, idvId: link.idvId, customerUrl: link.customerUrl };
}

/**
 * What a product backend does with a 202 (run started, customer URL not ready within the API's start wait): the
 * same POST again, which joins the run and answers 200 with the URL once it exists. Counts the 202s, so a
 * scenario can report how often the start wait ran out.
 */
export async function startOnboardingFollowingUp(
  http: HttpClient,
  customerId: string,
  timeoutMs: number,
): Promise<{ started: StartedOnboarding; pendingAnswers: number }> {
  const deadline = Date.now() + timeoutMs;
  let pendingAnswers = 0;
  for (;;) {
    try {
      return { started: await startOnboarding(http, customerId), pendingAnswers };
    } catch (error) {
      if (!(error instanceof OnboardingStartError) || error.status !== 202 || Date.now() > deadline)
        throw error;
      pendingAnswers += 1;
      await new Promise((resolve) => setTimeout(resolve, FOLLOW_UP_MS));
    }
  }
}

const FOLLOW_UP_MS = 500;
