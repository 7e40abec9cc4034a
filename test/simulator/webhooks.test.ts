/** Webhook delivery as Ondato does it: envelopes, Basic auth, HMAC, retries, duplicates, reordering, loss. */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { webhookEnvelopeSchema } from '../../ondato/schemas';
import { createRequest, startTestSimulator, waitFor, type TestSimulator } from './support';
import { startWebhookReceiver, type ReceivedWebhook, type WebhookReceiver } from './webhook-receiver';

const USERNAME = 'ondato-hooks';
const PASSWORD = 'hook-password';
const HMAC_SECRET = 'hmac-secret';

let sim: TestSimulator;
let receiver: WebhookReceiver;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  sim = await startTestSimulator({
    webhook: {
      url: receiver.url,
      username: USERNAME,
      password: PASSWORD,
      hmacSecret: HMAC_SECRET,
      timeScale: 0.001,
    },
  });
});
beforeEach(async () => {
  receiver.received.length = 0;
  receiver.respondWith(() => 200);
  await sim.control.setWebhooks({
    url: receiver.url,
    duplicate: false,
    reorder: false,
    drop: false,
    timeScale: 0.001,
  });
});
afterAll(async () => {
  await sim.close();
  await receiver.close();
});

async function newVerification(): Promise<string> {
  return (await sim.client().createIdentityVerification(createRequest('customer-hooks'))).id;
}

async function receivedCount(count: number): Promise<ReceivedWebhook[]> {
  await waitFor(() => receiver.received.length >= count, { what: `${count} webhooks` });
  return receiver.received;
}

/** What a receiver must do with `Ondato-Signature: t=<unix seconds>, s=<hex>`. */
function signatureIsValid(header: string | undefined, rawBody: string): boolean {
  const match = /^t=(\d+), s=([0-9a-f]{64})$/.exec(header ?? '');
  if (!match) return false;
  const expected = createHmac('sha256', HMAC_SECRET).update(`${match[1]}.${rawBody}`).digest();
  const fresh = Math.abs(Date.now() / 1000 - Number(match[1])) < 60;
  return fresh && timingSafeEqual(expected, Buffer.from(match[2], 'hex'));
}

it('announces an approval with three authenticated, signed envelopes carrying the GET shapes', async () => {
  const idvId = await newVerification();
  await sim.control.complete(idvId, { outcome: 'approved' });
  const deliveries = await receivedCount(3);

  expect(deliveries.map((delivery) => delivery.body.type)).toEqual([
    'IdentityVerification.StatusChanged',
    'KycIdentification.Created',
    'KycIdentification.Approved',
  ]);
  const basic = `Basic ${Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64')}`;
  for (const delivery of deliveries) {
    expect(delivery.headers.authorization).toBe(basic);
    expect(delivery.headers['content-type']).toMatch(/^application\/json/);
    expect(signatureIsValid(delivery.headers['ondato-signature'] as string, delivery.rawBody)).toBe(true);
    expect(webhookEnvelopeSchema.safeParse(delivery.body).success).toBe(true);
  }
  expect(new Set(deliveries.map((delivery) => delivery.body.id)).size).toBe(3);

  const state = await sim.control.verification(idvId);
  expect(deliveries[0].body.payload).toEqual(state.identityVerification);
  expect(deliveries[2].body.payload).toEqual(state.identification);
  expect(deliveries[2].body.payload).toMatchObject({
    externalReferenceId: 'customer-hooks',
    identityVerificationId: idvId,
  });
});

it('a tampered body fails the signature check', async () => {
  await sim.control.complete(await newVerification(), { outcome: 'aborted' });
  const [delivery] = await receivedCount(1);
  expect(
    signatureIsValid(
      delivery.headers['ondato-signature'] as string,
      delivery.rawBody.replace('Aborted', 'Completed'),
    ),
  ).toBe(false);
});

it('sends no signature header when no HMAC secret is set', async () => {
  await sim.control.setWebhooks({ hmacSecret: null });
  try {
    await sim.control.complete(await newVerification(), { outcome: 'expired' });
    const [delivery] = await receivedCount(1);
    expect(delivery.headers['ondato-signature']).toBeUndefined();
    expect(delivery.body.payload).toMatchObject({ status: 'Expired' });
  } finally {
    await sim.control.setWebhooks({ hmacSecret: HMAC_SECRET });
  }
});

it('retries a failing receiver on the (scaled) schedule until it answers 2xx', async () => {
  receiver.respondWith((_delivery, index) => (index < 2 ? 500 : 204));
  const idvId = await newVerification();
  await sim.control.complete(idvId, { outcome: 'aborted' });
  const deliveries = await receivedCount(3);

  expect(new Set(deliveries.map((delivery) => delivery.body.id)).size).toBe(1);
  // 10 s and 30 s at time scale 0.001.
  expect(deliveries[1].receivedAt - deliveries[0].receivedAt).toBeGreaterThanOrEqual(9);
  expect(deliveries[2].receivedAt - deliveries[1].receivedAt).toBeGreaterThanOrEqual(29);
  const log = await waitFor(async () => {
    const { deliveries: entries } = await sim.control.webhookLog();
    const entry = entries.find((candidate) => candidate.eventId === deliveries[0].body.id);
    return entry?.delivered ? entry : undefined;
  });
  expect(log).toMatchObject({ attempts: 3, lastStatus: 204, state: 'delivered', idvId });
});

it("gives up once Ondato's 24 h window has passed", async () => {
  receiver.respondWith(() => 503);
  await sim.control.setWebhooks({ timeScale: 0.00002 }); // 24 h ≈ 1.7 s
  const idvId = await newVerification();
  await sim.control.complete(idvId, { outcome: 'aborted' });
  const entry = await waitFor(
    async () =>
      (await sim.control.webhookLog()).deliveries.find(
        (candidate) => candidate.idvId === idvId && candidate.state === 'failed',
      ),
    { what: 'the delivery to be given up' },
  );
  // 10 s, 30 s, ... 6 h, then 12 h steps: the 24 h window allows 11 attempts, well below the cap of 30
  // (10 when this machine is so slow that the compressed attempts themselves eat into the window).
  expect(entry.attempts).toBeGreaterThanOrEqual(10);
  expect(entry.attempts).toBeLessThanOrEqual(11);
  expect(entry.lastStatus).toBe(503);
});

it('duplicate: every event arrives twice with the same id', async () => {
  await sim.control.setWebhooks({ duplicate: true });
  await sim.control.complete(await newVerification(), { outcome: 'approved' });
  const deliveries = await receivedCount(6);
  const ids = deliveries.map((delivery) => delivery.body.id);
  expect(new Set(ids).size).toBe(3);
  expect(ids[0]).toBe(ids[1]);
});

it('reorder: the events of one completion arrive last first', async () => {
  await sim.control.setWebhooks({ reorder: true });
  await sim.control.complete(await newVerification(), { outcome: 'approved' });
  const deliveries = await receivedCount(3);
  expect(deliveries.map((delivery) => delivery.body.type)).toEqual([
    'KycIdentification.Approved',
    'KycIdentification.Created',
    'IdentityVerification.StatusChanged',
  ]);
});

it('drop: nothing is delivered, the log says dropped', async () => {
  await sim.control.setWebhooks({ drop: true });
  const idvId = await newVerification();
  await sim.control.complete(idvId, { outcome: 'approved' });
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(receiver.received).toHaveLength(0);
  const { deliveries, settings } = await sim.control.webhookLog();
  expect(deliveries.filter((entry) => entry.idvId === idvId).map((entry) => entry.state)).toEqual([
    'dropped',
    'dropped',
    'dropped',
  ]);
  expect(settings).toMatchObject({ drop: true, hmac: true, username: USERNAME });
  expect(JSON.stringify(settings)).not.toContain(PASSWORD);
});

it("Ondato's later decision on an Awaiting identification sends its own event", async () => {
  const idvId = await newVerification();
  const { kycId } = await sim.control.complete(idvId, { outcome: 'awaiting' });
  const first = await receivedCount(2);
  expect(first.map((delivery) => delivery.body.type)).toEqual([
    'IdentityVerification.StatusChanged',
    'KycIdentification.Created',
  ]);
  expect(first[1].body.payload).toMatchObject({ status: 'Awaiting' });

  await sim.control.decide(kycId as string, { status: 'Rejected', statusReason: 'DocumentIsExpired' });
  const all = await receivedCount(3);
  expect(all[2].body).toMatchObject({
    type: 'KycIdentification.Rejected',
    payload: { id: kycId, status: 'Rejected', statusReason: 'DocumentIsExpired' },
  });
});
