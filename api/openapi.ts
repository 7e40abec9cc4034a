/**
 * The OpenAPI 3.1 document, generated from the same zod schemas the routes validate with, and a
 * self-contained HTML rendering of it (no external scripts, styles or fonts).
 */
import { z } from 'zod';
import { webhookEnvelopeSchema } from '../ondato/schemas';
import { apiSchemas, customerIdSchema } from './schemas';

type JsonObject = Record<string, unknown>;

/** Webhook bodies are Ondato's envelope, validated by the Ondato client's own schema: documented from it. */
function webhookEnvelopeJsonSchema(): JsonObject {
  const { $schema: _schema, ...schema } = z.toJSONSchema(webhookEnvelopeSchema, {
    io: 'input',
  }) as JsonObject;
  return { ...schema, description: "Ondato's delivery envelope; only the ids in it are used" };
}

type SchemaId =
  | 'Registration'
  | 'Timeouts'
  | 'StartOnboardingRequest'
  | 'RetryOnboardingRequest'
  | 'ReviewRequest'
  | 'CancelRequest'
  | 'OnboardingLink'
  | 'OnboardingStatus'
  | 'WebhookAck'
  | 'Error'
  | 'Health'
  | 'CodecPayloads';

interface ResponseSpec {
  description: string;
  schema?: SchemaId;
  /** Error codes this status carries, listed in the docs. */
  codes?: string[];
  contentType?: string;
}

interface OperationSpec {
  method: 'get' | 'post';
  path: string;
  summary: string;
  description?: string;
  tag: 'Onboardings' | 'Webhooks' | 'Operations' | 'Codec';
  security: 'apiKey' | 'webhookBasic' | 'codecToken' | 'none';
  pathParams?: Array<'customerId'>;
  /** A named component, or `ondatoEnvelope` for Ondato's own envelope. */
  requestBody?: SchemaId | 'ondatoEnvelope';
  responses: Record<string, ResponseSpec>;
}

const invalid: ResponseSpec = {
  description: 'Invalid request',
  schema: 'Error',
  codes: ['validation_failed', 'malformed_json'],
};
const unauthorized: ResponseSpec = {
  description: 'Missing or invalid API key',
  schema: 'Error',
  codes: ['unauthorized'],
};
const notJson: ResponseSpec = {
  description: 'The body is not application/json',
  schema: 'Error',
  codes: ['unsupported_media_type'],
};
const tooLarge: ResponseSpec = {
  description: 'Body over the size limit',
  schema: 'Error',
  codes: ['payload_too_large'],
};
const unavailable: ResponseSpec = {
  description: 'Temporal unreachable; retry later',
  schema: 'Error',
  codes: ['temporal_unavailable'],
};
const notFound: ResponseSpec = {
  description: 'No onboarding for this customer',
  schema: 'Error',
  codes: ['not_found'],
};

export const OPERATIONS: OperationSpec[] = [
  {
    method: 'post',
    path: '/v1/onboardings',
    summary: 'Start (or join) the onboarding of a customer',
    description:
      'Starts the onboarding workflow and waits until Ondato issued the customer URL. Repeating the call while the run is open joins it (200, same URL). A completed onboarding is never restarted silently: use retry.',
    tag: 'Onboardings',
    security: 'apiKey',
    requestBody: 'StartOnboardingRequest',
    responses: {
      '201': { description: 'Started by this call', schema: 'OnboardingLink' },
      '200': { description: 'Joined the running onboarding', schema: 'OnboardingLink' },
      '202': {
        description: 'Started or joined, customer URL not ready yet (poll GET)',
        schema: 'OnboardingLink',
      },
      '400': invalid,
      '401': unauthorized,
      '415': notJson,
      '409': {
        description: 'The onboarding already completed',
        schema: 'Error',
        codes: ['onboarding_completed'],
      },
      '413': tooLarge,
      '502': {
        description: 'Ondato refused the verification, or the run failed before a URL existed',
        schema: 'Error',
        codes: ['ondato_rejected', 'onboarding_failed'],
      },
      '503': unavailable,
    },
  },
  {
    method: 'get',
    path: '/v1/onboardings/{customerId}',
    summary: 'The current state of the latest onboarding run',
    tag: 'Onboardings',
    security: 'apiKey',
    pathParams: ['customerId'],
    responses: {
      '200': { description: 'State, outcome, reasons and timestamps', schema: 'OnboardingStatus' },
      '400': { description: 'Invalid customer id', schema: 'Error', codes: ['validation_failed'] },
      '401': unauthorized,
      '404': notFound,
      '503': unavailable,
    },
  },
  {
    method: 'post',
    path: '/v1/onboardings/{customerId}/review',
    summary: 'Record an ops decision for a run in manual review',
    tag: 'Onboardings',
    security: 'apiKey',
    pathParams: ['customerId'],
    requestBody: 'ReviewRequest',
    responses: {
      '200': { description: 'Decision recorded', schema: 'OnboardingStatus' },
      '400': invalid,
      '401': unauthorized,
      '415': notJson,
      '404': notFound,
      '409': { description: 'No manual review is pending', schema: 'Error', codes: ['no_review_pending'] },
      '503': unavailable,
    },
  },
  {
    method: 'post',
    path: '/v1/onboardings/{customerId}/cancel',
    summary: 'Cancel an onboarding that has not decided yet',
    tag: 'Onboardings',
    security: 'apiKey',
    pathParams: ['customerId'],
    requestBody: 'CancelRequest',
    responses: {
      '200': { description: 'Cancelled', schema: 'OnboardingStatus' },
      '400': invalid,
      '401': unauthorized,
      '415': notJson,
      '404': notFound,
      '409': {
        description: 'Already decided or no longer running',
        schema: 'Error',
        codes: ['already_decided'],
      },
      '503': unavailable,
    },
  },
  {
    method: 'post',
    path: '/v1/onboardings/{customerId}/retry',
    summary: 'Start a fresh run after one that ended without approval',
    description:
      'Allowed after a failed, expired, abandoned, cancelled or rejected run. The registration is sent again: the API never reads personal data back out of workflow history.',
    tag: 'Onboardings',
    security: 'apiKey',
    pathParams: ['customerId'],
    requestBody: 'RetryOnboardingRequest',
    responses: {
      '201': { description: 'Started', schema: 'OnboardingLink' },
      '200': { description: 'Joined a run another caller started meanwhile', schema: 'OnboardingLink' },
      '202': { description: 'Started, customer URL not ready yet', schema: 'OnboardingLink' },
      '400': invalid,
      '401': unauthorized,
      '415': notJson,
      '404': notFound,
      '409': {
        description: 'Still running, or already approved',
        schema: 'Error',
        codes: ['onboarding_running', 'onboarding_approved'],
      },
      '502': {
        description: 'Ondato refused the verification',
        schema: 'Error',
        codes: ['ondato_rejected', 'onboarding_failed'],
      },
      '503': unavailable,
    },
  },
  {
    method: 'post',
    path: '/webhooks/ondato',
    summary: "Ondato's webhook deliveries",
    description:
      'Basic auth; with WEBHOOK_HMAC_SECRET also `Ondato-Signature: t=<unix seconds>, s=<hex HMAC-SHA256 of "<t>.<raw body>">`; optionally a source-IP allow-list. Answers 2xx once Temporal accepted the signal; 503 asks Ondato to redeliver.',
    tag: 'Webhooks',
    security: 'webhookBasic',
    requestBody: 'ondatoEnvelope',
    responses: {
      '200': { description: 'Relayed, ignored (other event types) or no open run', schema: 'WebhookAck' },
      '400': invalid,
      '401': { description: 'Bad credentials or signature', schema: 'Error', codes: ['unauthorized'] },
      '403': { description: 'Source address not allowed', schema: 'Error', codes: ['forbidden'] },
      '413': tooLarge,
      '503': {
        description: 'Temporal unreachable, or the run is not visible yet: redeliver',
        schema: 'Error',
        codes: ['temporal_unavailable', 'run_not_visible_yet'],
      },
    },
  },
  ...(['decode', 'encode'] as const).map((operation): OperationSpec => ({
    method: 'post',
    path: `/codec/${operation}`,
    summary:
      operation === 'decode'
        ? 'Decrypt Temporal payloads (for the Temporal UI and CLI)'
        : 'Encrypt Temporal payloads (for the Temporal UI and CLI)',
    description:
      "Temporal's codec-server protocol. Bearer token from CODEC_ENDPOINT_TOKENS; without tokens the endpoint is open in simulator mode (local stack) and disabled otherwise. Browsers: CODEC_CORS_ORIGINS only. `X-Namespace`, when sent, must be this service's namespace.",
    tag: 'Codec',
    security: 'codecToken',
    requestBody: 'CodecPayloads',
    responses: {
      '200': { description: 'The payloads, same order', schema: 'CodecPayloads' },
      '400': invalid,
      '401': { description: 'Missing or invalid codec token', schema: 'Error', codes: ['unauthorized'] },
      '403': {
        description: 'Origin not allowed, another namespace, or the endpoint is disabled',
        schema: 'Error',
        codes: ['forbidden'],
      },
      '413': tooLarge,
      '415': notJson,
      '422': {
        description: 'A payload names a key not in CODEC_KEYS, or fails authentication',
        schema: 'Error',
        codes: ['payload_undecryptable'],
      },
    },
  })),
  {
    method: 'get',
    path: '/healthz',
    summary: 'Liveness: the process is up',
    tag: 'Operations',
    security: 'none',
    responses: { '200': { description: 'Up', schema: 'Health' } },
  },
  {
    method: 'get',
    path: '/readyz',
    summary: 'Readiness: Temporal is reachable',
    tag: 'Operations',
    security: 'none',
    responses: {
      '200': { description: 'Ready', schema: 'Health' },
      '503': { description: 'Temporal unreachable', schema: 'Health' },
    },
  },
  {
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics',
    tag: 'Operations',
    security: 'none',
    responses: { '200': { description: 'Prometheus text format', contentType: 'text/plain' } },
  },
  {
    method: 'get',
    path: '/openapi.json',
    summary: 'This document',
    tag: 'Operations',
    security: 'none',
    responses: { '200': { description: 'OpenAPI 3.1', contentType: 'application/json' } },
  },
  {
    method: 'get',
    path: '/docs',
    summary: 'This document, rendered',
    tag: 'Operations',
    security: 'none',
    responses: { '200': { description: 'HTML', contentType: 'text/html' } },
  },
];

export function componentSchemas(): Record<string, JsonObject> {
  const generated = z.toJSONSchema(apiSchemas, { io: 'input', uri: (id) => `#/components/schemas/${id}` });
  return Object.fromEntries(
    Object.entries(generated.schemas).map(([id, schema]) => {
      const { $schema: _schema, $id: _id, ...rest } = schema as JsonObject;
      return [id, rest];
    }),
  );
}

function schemaRef(id: SchemaId): JsonObject {
  return { $ref: `#/components/schemas/${id}` };
}

function operationObject(operation: OperationSpec): JsonObject {
  return {
    summary: operation.summary,
    ...(operation.description ? { description: operation.description } : {}),
    tags: [operation.tag],
    operationId: `${operation.method}${operation.path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c?: string) => (c ? c.toUpperCase() : ''))}`,
    security: operation.security === 'none' ? [] : [{ [operation.security]: [] }],
    ...(operation.pathParams
      ? {
          parameters: operation.pathParams.map((name) => ({
            name,
            in: 'path',
            required: true,
            schema: z.toJSONSchema(customerIdSchema),
          })),
        }
      : {}),
    ...(operation.requestBody
      ? {
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema:
                  operation.requestBody === 'ondatoEnvelope'
                    ? webhookEnvelopeJsonSchema()
                    : schemaRef(operation.requestBody),
              },
            },
          },
        }
      : {}),
    responses: Object.fromEntries(
      Object.entries(operation.responses).map(([status, response]) => [
        status,
        {
          description: response.codes
            ? `${response.description} (codes: ${response.codes.join(', ')})`
            : response.description,
          ...(response.schema
            ? {
                content: {
                  [response.contentType ?? 'application/json']: { schema: schemaRef(response.schema) },
                },
              }
            : response.contentType
              ? { content: { [response.contentType]: {} } }
              : {}),
        },
      ]),
    ),
  };
}

export function buildOpenApiDocument(): JsonObject {
  const paths: Record<string, JsonObject> = {};
  for (const operation of OPERATIONS) {
    paths[operation.path] = {
      ...(paths[operation.path] ?? {}),
      [operation.method]: operationObject(operation),
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Ondato onboarding API',
      version: '1',
      description:
        'Customer identity verification (KYC) with Ondato, run as durable Temporal workflows. Every error has one shape: { error: { code, message, details? } }.',
    },
    tags: [{ name: 'Onboardings' }, { name: 'Webhooks' }, { name: 'Codec' }, { name: 'Operations' }],
    paths,
    components: {
      schemas: componentSchemas(),
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'An API key from API_KEYS' },
        webhookBasic: { type: 'http', scheme: 'basic', description: 'WEBHOOK_USERNAME / WEBHOOK_PASSWORD' },
        codecToken: { type: 'http', scheme: 'bearer', description: 'A token from CODEC_ENDPOINT_TOKENS' },
      },
    },
  };
}

// ---- HTML ----

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function pretty(value: unknown): string {
  return escapeHtml(JSON.stringify(value, null, 2));
}

/** A readable page listing every operation, its responses and error codes, and every schema with examples. */
export function renderDocsHtml(document: JsonObject = buildOpenApiDocument()): string {
  const schemas = (document.components as { schemas: Record<string, JsonObject> }).schemas;
  const operations = OPERATIONS.map((operation) => {
    const responses = Object.entries(operation.responses)
      .map(
        ([status, response]) =>
          `<tr><td><code>${status}</code></td><td>${escapeHtml(response.description)}</td><td>${
            response.schema
              ? `<a href="#schema-${response.schema}">${response.schema}</a>`
              : escapeHtml(response.contentType ?? '')
          }</td><td>${(response.codes ?? []).map((code) => `<code>${code}</code>`).join(' ')}</td></tr>`,
      )
      .join('');
    const body = !operation.requestBody
      ? ''
      : operation.requestBody === 'ondatoEnvelope'
        ? `<p>Body: Ondato's webhook envelope</p><pre>${pretty(webhookEnvelopeJsonSchema())}</pre>`
        : `<p>Body: <a href="#schema-${operation.requestBody}">${operation.requestBody}</a></p>`;
    const auth = {
      apiKey: 'Bearer API key',
      webhookBasic: 'Basic (+ optional HMAC, IP allow-list)',
      codecToken: 'Bearer codec token (open in simulator mode without tokens)',
      none: 'none',
    }[operation.security];
    return `<section class="op" id="${escapeHtml(`${operation.method}-${operation.path}`)}">
<h3><span class="method ${operation.method}">${operation.method.toUpperCase()}</span> <code>${escapeHtml(operation.path)}</code></h3>
<p>${escapeHtml(operation.summary)}</p>${operation.description ? `<p class="desc">${escapeHtml(operation.description)}</p>` : ''}
<p>Auth: ${auth}</p>${body}
<table><thead><tr><th>Status</th><th>Meaning</th><th>Body</th><th>Error codes</th></tr></thead><tbody>${responses}</tbody></table>
</section>`;
  }).join('\n');
  const schemaSections = Object.entries(schemas)
    .map(([id, schema]) => {
      const examples = Array.isArray(schema.examples) ? schema.examples : [];
      const { examples: _examples, ...shape } = schema;
      return `<section class="schema" id="schema-${escapeHtml(id)}"><h3>${escapeHtml(id)}</h3>${
        typeof schema.description === 'string' ? `<p>${escapeHtml(schema.description)}</p>` : ''
      }<pre>${pretty(shape)}</pre>${examples.map((example) => `<p>Example</p><pre class="example">${pretty(example)}</pre>`).join('')}</section>`;
    })
    .join('\n');
  const info = document.info as { title: string; description: string };
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(info.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:1rem 2rem;color:#1d2330}
code,pre{font-family:ui-monospace,monospace;font-size:13px}pre{background:#f4f5f7;padding:.75rem;overflow:auto;border-radius:4px}
.op,.schema{border-top:1px solid #dde;padding:.5rem 0}.method{display:inline-block;min-width:3.5rem;text-align:center;border-radius:3px;color:#fff;font-size:13px;padding:0 .4rem}
.get{background:#2f7bd8}.post{background:#2e9d5b}table{border-collapse:collapse;width:100%}td,th{border:1px solid #dde;padding:.25rem .5rem;text-align:left;vertical-align:top}
.desc{color:#4a5060}
</style></head><body>
<h1>${escapeHtml(info.title)}</h1><p>${escapeHtml(info.description)}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a></p>
<h2>Operations</h2>
${operations}
<h2>Schemas</h2>
${schemaSections}
</body></html>`;
}
