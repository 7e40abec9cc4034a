#!/usr/bin/env node
/**
 * A product backend's end of the onboarding callback, in plain Node (no dependencies): it verifies the
 * signature over the raw body, refuses stale or forged deliveries, and takes each event once however often it
 * arrives (delivery is at least once). Copy the two functions into your backend; keep the processed event ids
 * where your effect is written (a unique key in the same transaction), not in memory as here.
 *
 *   CALLBACK_SECRET=... PORT=4100 node examples/callback-receiver.mjs
 *
 * It prints one line per delivery: `accepted <eventId> <type> <outcome>`, `duplicate <eventId>` or
 * `refused <reason>`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

const SIGNATURE_HEADER = 'x-onboarding-signature';
const TOLERANCE_SECONDS = 300;

/**
 * `t=<unix seconds>, v1=<hex>` where hex = HMAC-SHA256(secret, `${t}.${rawBody}`). Returns why it is not
 * valid, or undefined when it is.
 */
export function signatureProblem(secret, rawBody, header, nowSeconds = Math.floor(Date.now() / 1000)) {
  if (typeof header !== 'string') return 'no signature';
  const match = /^\s*t=(\d{1,12})\s*,\s*v1=([0-9a-fA-F]{64})\s*$/.exec(header);
  if (!match) return 'malformed signature';
  const timestamp = Number(match[1]);
  if (Math.abs(nowSeconds - timestamp) > TOLERANCE_SECONDS) return 'stale signature';
  const expected = createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest();
  const given = Buffer.from(match[2], 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected) ? undefined : 'wrong signature';
}

/** An event store that remembers which ids it has processed (use your database instead). */
export function createEventStore() {
  const processed = new Set();
  return {
    /** true the first time an id is seen, false for every repeat. */
    firstTime(eventId) {
      if (processed.has(eventId)) return false;
      processed.add(eventId);
      return true;
    },
  };
}

export function createReceiver({ secret, onEvent = () => {}, log = (line) => console.log(line) }) {
  const events = createEventStore();
  return createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      const rawBody = Buffer.concat(chunks);
      const answer = (status, line) => {
        log(line);
        response.writeHead(status).end();
      };
      if (request.method !== 'POST') return answer(405, `refused method ${request.method}`);
      // Verify the bytes as received: parsing first and re-serialising would change them.
      const problem = signatureProblem(secret, rawBody, request.headers[SIGNATURE_HEADER]);
      if (problem) return answer(401, `refused ${problem}`);
      let event;
      try {
        event = JSON.parse(rawBody.toString('utf8'));
      } catch {
        return answer(400, 'refused body is not JSON');
      }
      if (typeof event?.eventId !== 'string') return answer(400, 'refused no eventId');
      // A repeat gets 2xx too: anything else makes the service deliver it again.
      if (!events.firstTime(event.eventId)) return answer(200, `duplicate ${event.eventId}`);
      onEvent(event);
      return answer(204, `accepted ${event.eventId} ${event.type} ${event.outcome ?? '-'}`);
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const secret = process.env.CALLBACK_SECRET;
  if (!secret) {
    console.error("set CALLBACK_SECRET (the service's CALLBACK_SECRET)");
    process.exit(1);
  }
  const server = createReceiver({ secret });
  server.listen(Number(process.env.PORT ?? 4100), process.env.HOST ?? '127.0.0.1', () => {
    const { address, port } = server.address();
    console.log(`listening on http://${address}:${port}/callbacks/onboarding`);
  });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
}
