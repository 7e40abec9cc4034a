/**
 * The product backend stand-in of the chaos suite: records every signed callback as it arrives (type, event id,
 * outcome, signature), and can be slow for chosen customers (it holds its answer), so a worker can be killed while
 * a callback is in flight. Deliveries are at least once: a backend dedupes on the event id, and so do the checks.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyCallbackSignature } from '../activities/callback';
import { CALLBACK_SIGNATURE_HEADER, type CallbackEvent } from '../contract';
import type { Scope } from '../bench/infra/teardown';

export interface RecordedCallback {
  event: CallbackEvent;
  signatureValid: boolean;
  receivedAt: number;
}

export interface CallbackRecorder {
  url: string;
  /** Every delivery for the customer, redeliveries included, in arrival order. */
  forCustomer(customerId: string): RecordedCallback[];
  /** Deliveries whose body was not a callback event or whose signature did not verify. */
  rejected(): number;
  /** Holds the answer to every callback for these customers for `ms` (a slow backend). */
  slowFor(customerIds: Iterable<string>, ms: number): void;
  /** Resolves once the customer got a callback of `type` (at once if it already did). */
  waitFor(customerId: string, type: CallbackEvent['type'], timeoutMs: number): Promise<RecordedCallback>;
}

export async function startCallbackRecorder(scope: Scope, secret: string): Promise<CallbackRecorder> {
  const byCustomer = new Map<string, RecordedCallback[]>();
  const slow = new Map<string, number>();
  const waiters = new Set<() => void>();
  let rejected = 0;

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
      let event: CallbackEvent;
      try {
        event = JSON.parse(body) as CallbackEvent;
      } catch {
        rejected += 1;
        response.writeHead(400).end();
        return;
      }
      if (!signatureValid) rejected += 1;
      const list = byCustomer.get(event.customerId) ?? [];
      list.push({ event, signatureValid, receivedAt: Date.now() });
      byCustomer.set(event.customerId, list);
      for (const wake of [...waiters]) wake();
      const holdMs = slow.get(event.customerId) ?? 0;
      // A bad signature is counted, not refused: the checks report it, and the run is not held up by it.
      const answer = (): void => {
        if (!response.destroyed) response.writeHead(204).end();
      };
      if (holdMs > 0) setTimeout(answer, holdMs).unref();
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  scope.defer('the callback recorder', () => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const { port } = server.address() as AddressInfo;

  const find = (customerId: string, type: CallbackEvent['type']): RecordedCallback | undefined =>
    byCustomer.get(customerId)?.find((callback) => callback.event.type === type);

  return {
    url: `http://127.0.0.1:${port}/callbacks/onboarding`,
    forCustomer: (customerId) => [...(byCustomer.get(customerId) ?? [])],
    rejected: () => rejected,
    slowFor(customerIds, ms) {
      for (const customerId of customerIds) slow.set(customerId, ms);
    },
    waitFor(customerId, type, timeoutMs) {
      const already = find(customerId, type);
      if (already) return Promise.resolve(already);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no ${type} callback for ${customerId} within ${timeoutMs} ms`));
        }, timeoutMs);
        const check = (): void => {
          const found = find(customerId, type);
          if (!found) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(found);
        };
        waiters.add(check);
      });
    },
  };
}
