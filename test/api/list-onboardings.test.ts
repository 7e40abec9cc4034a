/**
 * GET /v1/onboardings and the roles, against the real Temporal dev server (its visibility store), a worker and
 * the Ondato simulator: the review queue is exactly the runs waiting for review; the customer prefix, the start
 * window and paging select what they say; refusals name the field; a product backend's key is refused (403) on
 * the list and on a review; an ops key decides and the decision records the key's identity, not the body's.
 */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { OnboardingList, OnboardingListItem, OnboardingStatus } from '../../api/schemas';
import { keyFingerprint } from '../../config/api-keys';
import { waitFor } from '../helpers/wait-for';
import {
  API_KEY,
  bearer,
  createApiTestEnv,
  FAST_TIMEOUTS,
  OPS_IDENTITY,
  OPS_KEY,
  REGISTRATION,
  type ApiTestEnv,
} from './support/api-env';

jest.setTimeout(120_000);

/** A second ops key, configured plain (no identity): its identity is its fingerprint. */
const PLAIN_OPS_KEY = 'plain-ops-key-for-list-test';

describe('GET /v1/onboardings and roles', () => {
  let env: ApiTestEnv;
  /** Every customer of this file starts with it, so other tests' runs on the shared server stay out. */
  const prefix = `lq-${randomUUID().slice(0, 8)}`;
  const ids = { reviewed: `${prefix}-a`, waitingB: `${prefix}-b`, waitingC: `${prefix}-c` };
  const started: Record<string, string> = {};

  const list = (query: Record<string, string>, key = OPS_KEY) =>
    request(env.app).get('/v1/onboardings').query(query).set('Authorization', bearer(key));
  const listed = async (query: Record<string, string>): Promise<OnboardingList> => {
    const response = await list(query);
    expect(response.status).toBe(200);
    return response.body as OnboardingList;
  };
  const customersOf = (items: OnboardingListItem[]) => items.map((item) => item.customerId);
  /** Visibility trails the runs: poll until the list shows `expected` (in Temporal's order). */
  const listedEventually = (query: Record<string, string>, expected: string[]) =>
    waitFor(
      async () => {
        const page = await listed(query);
        return customersOf(page.items).join() === expected.join() ? page : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 250, what: `the list ${JSON.stringify(query)} to be [${expected}]` },
    );
  const stateOf = async (customerId: string) =>
    (await request(env.app).get(`/v1/onboardings/${customerId}`).set('Authorization', bearer()))
      .body as OnboardingStatus;

  beforeAll(async () => {
    env = await createApiTestEnv({
      env: { API_OPS_KEYS: `${OPS_IDENTITY}:${OPS_KEY},${PLAIN_OPS_KEY}` },
    });
    // One after the other, so their start times are ordered: a, then b, then c.
    for (const customerId of [ids.reviewed, ids.waitingB, ids.waitingC]) {
      const response = await request(env.app)
        .post('/v1/onboardings')
        .set('Authorization', bearer())
        .send({ customerId, registration: REGISTRATION, timeouts: FAST_TIMEOUTS });
      expect(response.status).toBe(201);
      started[customerId] = response.body.idvId as string;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await env.control.complete(started[ids.reviewed], {
      outcome: 'approved',
      rules: [{ name: 'SelfieAndDocumentFacesMatch', status: 'Fail' }],
    });
    await waitFor(async () => ((await stateOf(ids.reviewed)).stage === 'manual_review' ? true : undefined), {
      timeoutMs: 30_000,
      what: 'manual review',
    });
  });
  afterAll(async () => {
    for (const customerId of Object.values(ids)) {
      await env?.client.workflow
        .getHandle(`onboarding-${customerId}`)
        .terminate('test cleanup')
        .catch(() => undefined);
    }
    await env?.close();
  });

  it('the review queue is exactly the runs waiting for review; the prefix selects the customers', async () => {
    const queue = await listedEventually({ stage: 'manual_review', customerIdPrefix: prefix }, [
      ids.reviewed,
    ]);
    expect(queue.items[0]).toEqual({
      customerId: ids.reviewed,
      workflowId: `onboarding-${ids.reviewed}`,
      runId: expect.any(String),
      status: 'RUNNING',
      stage: 'manual_review',
      outcome: 'manual_review',
      startedAt: expect.any(String),
    });
    expect(queue.nextPageToken).toBeNull();
    // No personal data: nothing of the registration is in the list.
    expect(JSON.stringify(queue)).not.toContain(REGISTRATION.lastName);
    expect(JSON.stringify(queue)).not.toContain(REGISTRATION.email);

    // Running runs, most recently started first.
    const all = await listedEventually({ customerIdPrefix: prefix }, [
      ids.waitingC,
      ids.waitingB,
      ids.reviewed,
    ]);
    expect(all.items.map((item) => item.stage)).toEqual([
      'awaiting_customer',
      'awaiting_customer',
      'manual_review',
    ]);
    await listedEventually({ stage: 'awaiting_customer', customerIdPrefix: prefix }, [
      ids.waitingC,
      ids.waitingB,
    ]);
    // A prefix is a prefix: the exact id of b, and one character more than any id, select b and nothing.
    expect(customersOf((await listed({ customerIdPrefix: ids.waitingB })).items)).toEqual([ids.waitingB]);
    expect((await listed({ customerIdPrefix: `${ids.waitingB}x` })).items).toEqual([]);
    process.stdout.write(`[list] queue and prefix filters over ${all.items.length} runs of ${prefix}\n`);
  });

  it('the start window: startedAfter is inclusive, startedBefore exclusive', async () => {
    const all = await listedEventually({ customerIdPrefix: prefix }, [
      ids.waitingC,
      ids.waitingB,
      ids.reviewed,
    ]);
    const startOf = (customerId: string) =>
      all.items.find((item) => item.customerId === customerId)?.startedAt as string;
    const b = startOf(ids.waitingB);
    expect(customersOf((await listed({ customerIdPrefix: prefix, startedAfter: b })).items)).toEqual([
      ids.waitingC,
      ids.waitingB,
    ]);
    expect(customersOf((await listed({ customerIdPrefix: prefix, startedBefore: b })).items)).toEqual([
      ids.reviewed,
    ]);
    expect(
      customersOf(
        (await listed({ customerIdPrefix: prefix, startedAfter: b, startedBefore: startOf(ids.waitingC) }))
          .items,
      ),
    ).toEqual([ids.waitingB]);
    // An offset is the same instant.
    const later = new Date(Date.parse(b) + 1).toISOString().replace('Z', '+00:00');
    expect(customersOf((await listed({ customerIdPrefix: prefix, startedAfter: later })).items)).toEqual([
      ids.waitingC,
    ]);
  });

  it('pages: two pages of a size, no run twice, none lost, a token only while more may follow', async () => {
    await listedEventually({ customerIdPrefix: prefix }, [ids.waitingC, ids.waitingB, ids.reviewed]);
    const began = Date.now();
    const first = await listed({ customerIdPrefix: prefix, pageSize: '2' });
    const pageMs = Date.now() - began;
    expect(first.items).toHaveLength(2);
    expect(first.nextPageToken).toEqual(expect.stringMatching(/^[A-Za-z0-9_-]+$/));
    const second = await listed({
      customerIdPrefix: prefix,
      pageSize: '2',
      nextPageToken: first.nextPageToken as string,
    });
    expect(second.items).toHaveLength(1);
    expect(second.nextPageToken).toBeNull();
    process.stdout.write(`[list] a page of 2 through the API in ${pageMs} ms\n`);
    expect([...customersOf(first.items), ...customersOf(second.items)]).toEqual([
      ids.waitingC,
      ids.waitingB,
      ids.reviewed,
    ]);
  });

  it('refuses what is not a filter (400, with the field), and never lets a value into the query', async () => {
    const refusals: Array<[Record<string, string>, string]> = [
      [{ stage: 'waiting' }, 'stage'],
      [{ outcome: 'maybe' }, 'outcome'],
      [{ customerIdPrefix: "x' OR WorkflowType != 'y" }, 'customerIdPrefix'],
      [{ customerIdPrefix: '' }, 'customerIdPrefix'],
      [{ startedAfter: 'yesterday' }, 'startedAfter'],
      [{ startedBefore: '2026-11-29' }, 'startedBefore'],
      [{ pageSize: '0' }, 'pageSize'],
      [{ pageSize: '101' }, 'pageSize'],
      [{ nextPageToken: 'not a token!' }, 'nextPageToken'],
      [{ order: 'asc' }, ''],
    ];
    for (const [query, field] of refusals) {
      const response = await list(query);
      expect({ query, status: response.status, code: response.body.error?.code }).toEqual({
        query,
        status: 400,
        code: 'validation_failed',
      });
      if (field) expect(response.body.error.details).toEqual([{ path: field, message: expect.any(String) }]);
    }
    // Twice the same filter is not one filter.
    const repeated = await request(env.app)
      .get(`/v1/onboardings?stage=manual_review&stage=completed`)
      .set('Authorization', bearer(OPS_KEY));
    expect(repeated.status).toBe(400);
    // Well-formed tokens this API never issued for these filters: forged, or another filter's.
    const forged = await list({
      customerIdPrefix: prefix,
      nextPageToken: Buffer.from('not a page token').toString('base64url'),
    });
    expect(forged.status).toBe(400);
    expect(forged.body.error.details).toEqual([{ path: 'nextPageToken', message: expect.any(String) }]);
    const issued = await listed({ customerIdPrefix: prefix, pageSize: '1' });
    expect(issued.nextPageToken).not.toBeNull();
    const elsewhere = await list({ stage: 'manual_review', nextPageToken: issued.nextPageToken as string });
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.body.error.details).toEqual([{ path: 'nextPageToken', message: expect.any(String) }]);
  });

  it("a product backend's key: 403 on the list and on a review; an ops key decides as its own identity", async () => {
    const productList = await list({ stage: 'manual_review' }, API_KEY);
    expect(productList.status).toBe(403);
    expect(productList.body.error).toMatchObject({
      code: 'forbidden',
      message: expect.stringMatching(/ops key/),
    });
    const productReview = await request(env.app)
      .post(`/v1/onboardings/${ids.reviewed}/review`)
      .set('Authorization', bearer(API_KEY))
      .send({ reviewerId: 'ops-7', decision: 'approved' });
    expect(productReview.status).toBe(403);
    expect(productReview.body.error.code).toBe('forbidden');
    expect((await stateOf(ids.reviewed)).stage).toBe('manual_review');

    // The body claims someone else: the record names the key.
    const decided = await request(env.app)
      .post(`/v1/onboardings/${ids.reviewed}/review`)
      .set('Authorization', bearer(OPS_KEY))
      .send({ reviewerId: 'mallory', decision: 'approved', note: 'checked by hand' });
    expect(decided.status).toBe(200);
    expect(decided.body.review).toMatchObject({ reviewerId: OPS_IDENTITY, decision: 'approved' });
    const done = await waitFor(
      async () => {
        const state = await stateOf(ids.reviewed);
        return state.status === 'COMPLETED' ? state : undefined;
      },
      { timeoutMs: 30_000, what: 'the reviewed run to complete' },
    );
    expect(done.review?.reviewerId).toBe(OPS_IDENTITY);
    expect(env.logs.text()).toContain('"claimedReviewerId":"mallory"');

    // A plain ops key (no identity configured) is recorded by its fingerprint.
    const cancelled = await request(env.app)
      .post(`/v1/onboardings/${ids.waitingB}/cancel`)
      .set('Authorization', bearer(PLAIN_OPS_KEY))
      .send({ reason: 'duplicate_account' });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.reasons).toContain(`cancelled_by:${keyFingerprint(PLAIN_OPS_KEY)}`);
    expect(JSON.stringify(cancelled.body)).not.toContain(PLAIN_OPS_KEY);

    // The queue emptied; the decided run is listed by its outcome, closed.
    await listedEventually({ stage: 'manual_review', customerIdPrefix: prefix }, []);
    const approved = await listedEventually({ outcome: 'approved', customerIdPrefix: prefix }, [
      ids.reviewed,
    ]);
    expect(approved.items[0]).toMatchObject({
      status: 'COMPLETED',
      stage: 'completed',
      closedAt: expect.any(String),
    });
    await listedEventually({ outcome: 'cancelled', customerIdPrefix: prefix }, [ids.waitingB]);
  });
});
