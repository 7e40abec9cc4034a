/**
 * A bare relay from the simulator's webhooks to the workflow, for the workflow tests (the API's own relay is
 * tested in test/api). It records what it relayed so tests can count deliveries.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import { webhookEnvelopeSchema } from '../../ondato/schemas';
import { routeWebhook } from '../../api/webhook-routing';
import { onboardingWorkflowId, ondatoWebhookSignal } from '../../contract';

export interface WebhookRelay {
  url: string;
  relayed: Array<{ customerId: string; deliveryId: string; type: string }>;
  close(): Promise<void>;
}

export async function startWebhookRelay(
  client: Client,
  credentials: { username: string; password: string },
): Promise<WebhookRelay> {
  const relayed: WebhookRelay['relayed'] = [];
  const expectedAuth = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      void (async () => {
        if (request.headers.authorization !== expectedAuth) return response.writeHead(401).end();
        const envelope = webhookEnvelopeSchema.safeParse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        if (!envelope.success) return response.writeHead(400).end();
        const routing = routeWebhook(envelope.data);
        if (routing.kind === 'relay' && routing.customerId) {
          await client.workflow
            .getHandle(onboardingWorkflowId(routing.customerId))
            .signal(ondatoWebhookSignal, routing.signal);
          relayed.push({
            customerId: routing.customerId,
            deliveryId: routing.signal.deliveryId,
            type: routing.signal.type,
          });
        }
        response.writeHead(200).end();
      })().catch(() => response.writeHead(200).end()); // closed or unknown run: acknowledged, as the API does
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks/ondato`,
    relayed,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
