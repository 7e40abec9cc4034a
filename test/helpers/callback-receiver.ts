/** A stand-in product backend: records every callback and whether its signature verified. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyCallbackSignature } from '../../activities/callback';
import { CALLBACK_SIGNATURE_HEADER, type CallbackEvent } from '../../contract';

export interface ReceivedCallback {
  event: CallbackEvent;
  signatureValid: boolean;
}

export interface CallbackReceiver {
  url: string;
  received: ReceivedCallback[];
  forCustomer(customerId: string): ReceivedCallback[];
  close(): Promise<void>;
}

export async function startCallbackReceiver(secret: string): Promise<CallbackReceiver> {
  const received: ReceivedCallback[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const header = request.headers[CALLBACK_SIGNATURE_HEADER];
      received.push({
        event: JSON.parse(body) as CallbackEvent,
        signatureValid: verifyCallbackSignature(
          secret,
          body,
          typeof header === 'string' ? header : undefined,
        ),
      });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/callbacks/onboarding`,
    received,
    forCustomer: (customerId) => received.filter((callback) => callback.event.customerId === customerId),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
