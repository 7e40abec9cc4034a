/** A stand-in OpenTelemetry collector: accepts OTLP/HTTP JSON trace exports and keeps the spans. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';

const exportRequest = z.object({
  resourceSpans: z.array(
    z.object({
      resource: z
        .object({
          attributes: z.array(
            z.object({ key: z.string(), value: z.object({ stringValue: z.string() }).partial() }),
          ),
        })
        .optional(),
      scopeSpans: z.array(
        z.object({
          spans: z.array(
            z.object({
              traceId: z.string(),
              spanId: z.string(),
              parentSpanId: z.string().optional(),
              name: z.string(),
            }),
          ),
        }),
      ),
    }),
  ),
});

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  service?: string;
}

export interface OtlpReceiver {
  /** The base URL, as OTEL_EXPORTER_OTLP_ENDPOINT takes it. */
  endpoint: string;
  spans: ReceivedSpan[];
  /** Requests to any other path or with a body that is not an OTLP JSON export. */
  rejected: number;
  close(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const receiver = { spans: [] as ReceivedSpan[], rejected: 0 };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const parsed =
        request.method === 'POST' && request.url === '/v1/traces'
          ? exportRequest.safeParse(JSON.parse(Buffer.concat(chunks).toString('utf8')))
          : undefined;
      if (!parsed?.success) {
        receiver.rejected += 1;
        response.writeHead(400).end();
        return;
      }
      for (const resourceSpans of parsed.data.resourceSpans) {
        const service = resourceSpans.resource?.attributes.find(
          (attribute) => attribute.key === 'service.name',
        )?.value.stringValue;
        for (const scope of resourceSpans.scopeSpans)
          for (const span of scope.spans)
            receiver.spans.push({ ...span, parentSpanId: span.parentSpanId || undefined, service });
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get spans() {
      return receiver.spans;
    },
    get rejected() {
      return receiver.rejected;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
