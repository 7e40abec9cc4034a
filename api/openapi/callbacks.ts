/**
 * The callback the service makes to the product backend, as an OpenAPI callback of the operations that name
 * its URL (start, retry): what arrives, how to verify it, and what answer stops the retries. The event is
 * contract/callback-event.ts, documented by `callbackEventSchema`; the signature is codec/hmac-signature.ts.
 */
import { z } from 'zod';
import type { ZodOpenApiCallbacksObject } from 'zod-openapi';
import { CALLBACK_EVENT_ID_HEADER, CALLBACK_SIGNATURE_HEADER } from '../../contract';
import { callbackEventSchema } from '../schemas';

const DESCRIPTION = [
  "Posted to `callbackUrl` (or, when the start named none, to the service's CALLBACK_URL) when the run completes (`onboarding.completed`), when an open manual review escalates, when a run parks (`onboarding.needs_attention`) and when it fails (`onboarding.failed`).",
  '',
  `**Verify** \`${CALLBACK_SIGNATURE_HEADER}\`: \`t=<unix seconds>, v1=<hex>\`, where \`<hex>\` is HMAC-SHA256 with the shared CALLBACK_SECRET over \`<t>.<raw body>\` (the bytes as received, before any JSON parsing). Compare in constant time and refuse a \`t\` more than 300 s from your clock.`,
  '',
  `**Deduplicate** on \`eventId\` (also the \`${CALLBACK_EVENT_ID_HEADER}\` header): delivery is at least once, so the same event can arrive again (a worker that died after your 2xx, a retry after a timeout). Record it in the same transaction as its effect and answer a repeat with 2xx.`,
  '',
  'Answers: any 2xx takes the event. 408, 429 and 5xx (or no answer within 10 s) are retried with backoff for a day; any other 4xx is final; a 3xx is never followed and counts as a refusal. Only targets the service allows are called (CALLBACK_URL, CALLBACK_ALLOWED_URLS; no private addresses unless CALLBACK_ALLOW_PRIVATE_TARGETS).',
].join('\n');

export const onboardingCallbacks: ZodOpenApiCallbacksObject = {
  onboardingEvent: {
    '{$request.body#/callbackUrl}': {
      post: {
        operationId: 'onboardingEventCallback',
        summary: 'An onboarding event, signed, at least once',
        description: DESCRIPTION,
        requestParams: {
          header: z.object({
            [CALLBACK_SIGNATURE_HEADER]: z
              .string()
              .regex(/^t=\d{1,12}, v1=[0-9a-f]{64}$/)
              .describe('`t=<unix seconds>, v1=<hex HMAC-SHA256 of "<t>.<raw body>">`'),
            [CALLBACK_EVENT_ID_HEADER]: z.string().describe('The eventId of the body'),
          }),
        },
        requestBody: { required: true, content: { 'application/json': { schema: callbackEventSchema } } },
        responses: {
          '2XX': { description: 'Taken (a repeated eventId too): not delivered again' },
          '4XX': { description: 'Refused for good (except 408 and 429, which are retried)' },
          '5XX': { description: 'Retried with backoff for a day' },
        },
      },
    },
  },
};
