/**
 * The product backend stand-in: takes the service's signed callbacks and lets the benchmark wait for a given
 * customer's outcome.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyCallbackSignature } from '../../activities/callback';
import { CALLBACK_SIGNATURE_HEADER, type CallbackEvent } from '../../contract';
import type { Scope } from './teardown';

export interface ReceivedOutcome {
  outcome?: string;
  receivedAt: number;
  signatureValid: boolean;
}

export interface CallbackReceiver {
  url: string;
  /** Completed-onboarding callbacks so far. */
  count(): number;
  badSignatures(): number;
  /** Resolves with the customer's completion callback (at once if it already came). */
  waitFor(customerId: string, timeoutMs: number): Promise<ReceivedOutcome>;
  outcomes(): Record<string, number>;
}

export async function startCallbackReceiver(scope: Scope, secret: string): Promise<CallbackReceiver> {
  const received = new Map<string, ReceivedOutcome>();
  const waiters = new Map<string, (outcome: ReceivedOutcome) => void>();
  let badSignatures = 0;

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const header = request.headers[CALLBACK_SIGNATURE_HEADER];
      const signatureValid = verifyCallbackSignature(
        secret,
        body,
        typeof header === 'string' ? header : undefined,
      );
      if (!signatureValid) badSignatures += 1;
      try {
        const event = JSON.parse(body) as CallbackEvent;
        if (event.type === 'onboarding.completed' && !received.has(event.customerId)) {
          const outcome = { outcome: event.outcome, receivedAt: Date.now(), signatureValid };
          received.set(event.customerId, outcome);
          waiters.get(event.customerId)?.(outcome);
          waiters.delete(event.customerId);
        }
        response.writeHead(204).end();
      } catch {
        response.writeHead(400).end();
      }
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  scope.defer('the callback receiver', () => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/callbacks/onboarding`,
    count: () => received.size,
    badSignatures: () => badSignatures,
    outcomes() {
      const counts: Record<string, number> = {};
      for (const { outcome } of received.values())
        counts[outcome ?? 'none'] = (counts[outcome ?? 'none'] ?? 0) + 1;
      return counts;
    },
    waitFor(customerId, timeoutMs) {
      const already = received.get(customerId);
      if (already) return Promise.resolve(already);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(customerId);
          reject(new Error(`no callback for ${customerId} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.set(customerId, (outcome) => {
          clearTimeout(timer);
          resolve(outcome);
        });
      });
    },
  };
}
