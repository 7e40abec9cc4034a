/**
 * The review console in a real browser (Debian's chromium via playwright-core) against the real app: the
 * Temporal dev server, a worker with the real activities, the Ondato simulator and its fake persons. A
 * reviewer signs in with an ops key, works the queue oldest first, opens a case (the registration beside
 * Ondato's extraction, the mismatch highlighted, the decrypted document images rendered), decides, and the run
 * completes with the reviewer's identity; a second tab's stale decision is refused. A product backend's key, a
 * forged form and a request without a session are refused. Every view and decision leaves an audit line
 * without personal data. Screenshots of the queue and the case go to CONSOLE_SCREENSHOT_DIR (or a temp dir).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import request from 'supertest';
import { createApp } from '../../api/app';
import { loadConfig } from '../../config';
import type { OnboardingLink, OnboardingStatus } from '../../api/schemas';
import { SAMPLE_REGISTRATION } from '../../simulator/sample-registration';
import { waitFor } from '../helpers/wait-for';
import {
  API_KEY,
  bearer,
  captureLogs,
  createApiTestEnv,
  FAST_TIMEOUTS,
  OPS_IDENTITY,
  OPS_KEY,
  type ApiTestEnv,
} from '../api/support/api-env';
import { launchChromium } from './browser';

jest.setTimeout(60_000);

/** The document's surname as Ondato read it: the registration says Petraitė (a married name, say). */
const DOCUMENT_LAST_NAME = 'Kazlauskienė';
const NOTE = 'married name, marriage certificate seen';

describe('review console', () => {
  let env: ApiTestEnv;
  let browser: Browser;
  let workDir: string;
  let auditPath: string;
  let screenshotDir: string;
  /** Unique per run of this file: the queue is filtered to it, other suites' runs share the dev server. */
  const prefix = `console-${randomUUID().slice(0, 8)}-`;
  const older = `${prefix}a`;
  const newer = `${prefix}b`;
  const parked = `${prefix}c`;
  const queueUrl = () => `${env.appUrl}/console/queue?customerIdPrefix=${prefix}`;

  const status = async (customerId: string): Promise<OnboardingStatus> =>
    (await request(env.app).get(`/v1/onboardings/${customerId}`).set('Authorization', bearer(OPS_KEY)))
      .body as OnboardingStatus;

  async function startInReview(
    customerId: string,
    escalationMs: number,
    document: Record<string, string>,
    stage: 'manual_review' | 'needs_attention' = 'manual_review',
  ) {
    const started = await request(env.app)
      .post('/v1/onboardings')
      .set('Authorization', bearer(API_KEY))
      .send({
        customerId,
        registration: SAMPLE_REGISTRATION,
        timeouts: { ...FAST_TIMEOUTS, manualReviewEscalationMs: escalationMs, parkedRetryMs: 600_000 },
      });
    expect(started.status).toBe(201);
    const link = started.body as OnboardingLink;
    await env.control.complete(link.idvId as string, {
      outcome: 'approved',
      document,
      rules: [{ name: 'SelfieAndDocumentFacesMatch', status: 'Fail' }],
    });
    return waitFor(
      async () => {
        const current = await status(customerId);
        return current.stage === stage ? current : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 200, what: `${customerId} in ${stage}` },
    );
  }

  async function signIn(context: BrowserContext, key: string): Promise<{ page: Page; status: number }> {
    const page = await context.newPage();
    await page.goto(queueUrl());
    // By keyboard alone: the key field has the focus (autofocus), Enter sends the form.
    await page.waitForSelector('#key:focus');
    await page.keyboard.type(key);
    await expect(page.inputValue('#key')).resolves.toBe(key);
    const [response] = await Promise.all([
      page.waitForResponse(
        (answer) => answer.url().endsWith('/console/sign-in') && answer.request().method() === 'POST',
      ),
      page.keyboard.press('Enter'),
    ]);
    if (response.status() === 303) await page.waitForURL((url) => url.pathname !== '/console/sign-in');
    await page.waitForLoadState();
    return { page, status: response.status() };
  }

  function auditLines(): Array<Record<string, unknown>> {
    return readFileSync(auditPath, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  beforeAll(async () => {
    workDir = mkdtempSync(path.join(tmpdir(), 'console-test-'));
    auditPath = path.join(workDir, 'audit.jsonl');
    screenshotDir = process.env.CONSOLE_SCREENSHOT_DIR ?? workDir;
    mkdirSync(screenshotDir, { recursive: true });
    browser = await launchChromium();
    env = await createApiTestEnv({
      env: { CONSOLE_AUDIT_LOG: auditPath, CONSOLE_SESSION_SECRET: randomUUID() + randomUUID() },
    });
    // The older run: its escalation has passed by the time anyone looks. The newer one: an expired document.
    await startInReview(older, 1_000, { lastName: DOCUMENT_LAST_NAME });
    await startInReview(newer, 60_000, { dateOfExpiration: '2024-05-31' });
    // Parked: Ondato answers 404 for its identification once, after the customer finished.
    await env.control.setFault({ route: 'getKyc', mode: 'status', status: 404, times: 1 });
    await startInReview(parked, 60_000, {}, 'needs_attention');
    await waitFor(async () => ((await status(older)).timestamps.escalatedAt ? true : undefined), {
      what: `${older} to escalate`,
    });
  });

  afterAll(async () => {
    await browser?.close();
    await env?.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('lets a reviewer sign in, work the queue oldest first, see the case and its documents, and decide it', async () => {
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    const { page, status: signInStatus } = await signIn(context, OPS_KEY);
    expect(signInStatus).toBe(303);
    expect(page.url()).toBe(queueUrl());
    await expect(page.locator('header .who').textContent()).resolves.toContain(OPS_IDENTITY);

    // Oldest first, with reasons and escalation state.
    const rows = page.locator('tbody tr');
    await expect(rows.locator('td:first-child').allInnerTexts()).resolves.toEqual([older, newer, parked]);
    await expect(rows.nth(0).textContent()).resolves.toMatch(/data_mismatch:lastName[\s\S]*escalated/);
    await expect(rows.nth(1).textContent()).resolves.toMatch(/document_expired[\s\S]*not escalated/);
    await expect(rows.nth(2).textContent()).resolves.toMatch(
      /Parked[\s\S]*OndatoRequestRejected[\s\S]*retries by itself/,
    );
    await page.screenshot({ path: path.join(screenshotDir, 'console-queue.png'), fullPage: true });

    await page.click(`a:text-is("${older}")`);
    await page.waitForURL(`**/console/cases/${older}`);
    const mismatches = await page.locator('tr.mismatch th').allTextContents();
    expect(mismatches).toContain('Last name');
    const lastNameRow = page.locator('tr.mismatch', { hasText: 'Last name' });
    await expect(lastNameRow.textContent()).resolves.toContain(SAMPLE_REGISTRATION.lastName);
    await expect(lastNameRow.textContent()).resolves.toContain(DOCUMENT_LAST_NAME);
    await expect(
      page.locator('tr.mismatch', { hasText: 'SelfieAndDocumentFacesMatch' }).count(),
    ).resolves.toBe(1);

    // Every stored document renders: decrypted by the API, decoded by the browser.
    const { documents } = await status(older);
    expect(documents.length).toBeGreaterThan(0);
    const images = page.locator('.documents img');
    await expect(images.count()).resolves.toBe(documents.length);
    for (let index = 0; index < documents.length; index += 1) {
      const image = images.nth(index);
      await image.scrollIntoViewIfNeeded();
      await waitFor(
        async () => {
          const width = await image.evaluate((element) => {
            const img = element as unknown as { complete: boolean; naturalWidth: number };
            return img.complete ? img.naturalWidth : 0;
          });
          return width > 0 ? width : undefined;
        },
        { what: `document image ${index} to render` },
      );
    }
    await page.screenshot({ path: path.join(screenshotDir, 'console-case.png'), fullPage: true });
    expect(statSync(path.join(screenshotDir, 'console-case.png')).size).toBeGreaterThan(10_000);

    // A second tab shows the same case before the decision: its form goes stale.
    const staleTab = await context.newPage();
    await staleTab.goto(`${env.appUrl}/console/cases/${older}`);

    await page.check('input[name=decision][value=approved]');
    await page.selectOption('#reason', 'mismatch_explained');
    await page.fill('#note', NOTE);
    await page.click('form.decide button[type=submit]');
    await page.waitForURL(`**/console/cases/${older}?decided=approved`);
    await expect(page.locator('main').textContent()).resolves.toContain('Decision recorded: approved');

    const done = await waitFor(
      async () => {
        const current = await status(older);
        return current.status === 'COMPLETED' ? current : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 200, what: 'the reviewed run to complete' },
    );
    expect(done).toMatchObject({
      outcome: 'approved',
      review: { reviewerId: OPS_IDENTITY, decision: 'approved', note: `reason: mismatch_explained; ${NOTE}` },
    });

    await staleTab.check('input[name=decision][value=rejected]');
    await staleTab.selectOption('#reason', 'data_mismatch');
    const [stale] = await Promise.all([
      staleTab.waitForResponse((answer) => answer.url().endsWith('/decision')),
      staleTab.click('form.decide button[type=submit]'),
    ]);
    expect(stale.status()).toBe(409);
    await expect(staleTab.locator('main').textContent()).resolves.toContain(
      `Someone else decided first: approved by ${OPS_IDENTITY}`,
    );
    await expect(status(older)).resolves.toMatchObject({ outcome: 'approved' });

    await page.click('header button:text-is("Sign out")');
    await page.waitForURL('**/console/sign-in');
    await page.goto(queueUrl());
    expect(page.url()).toContain('/console/sign-in?next=');
    await context.close();

    // The audit trail of this review: who, what, when, ids; no personal data and no note.
    const lines = auditLines();
    const events = lines.map((line) => line.event);
    expect(events).toEqual(
      expect.arrayContaining([
        'sign_in',
        'case_viewed',
        'document_viewed',
        'decision',
        'decision_refused',
        'sign_out',
      ]),
    );
    // One line per document served (each page load of the case fetched every image again: nothing is cached).
    const viewed = lines.filter((line) => line.event === 'document_viewed' && line.customerId === older);
    expect(new Set(viewed.map((line) => line.fileId))).toEqual(
      new Set(documents.map((document) => document.fileId)),
    );
    expect(lines.find((line) => line.event === 'decision')).toMatchObject({
      reviewer: OPS_IDENTITY,
      via: 'ops_key',
      customerId: older,
      runId: done.runId,
      decision: 'approved',
      reason: 'mismatch_explained',
      result: 'applied',
      at: expect.any(String),
    });
    expect(lines.find((line) => line.event === 'decision_refused')).toMatchObject({
      reviewer: OPS_IDENTITY,
      customerId: older,
      workflowId: done.workflowId,
      runId: done.runId,
      result: 'stale',
    });
    const text = JSON.stringify(lines);
    for (const personal of [
      SAMPLE_REGISTRATION.firstName,
      SAMPLE_REGISTRATION.lastName,
      SAMPLE_REGISTRATION.dateOfBirth,
      SAMPLE_REGISTRATION.personalCode,
      SAMPLE_REGISTRATION.email,
      DOCUMENT_LAST_NAME,
      NOTE,
    ]) {
      expect(text).not.toContain(personal);
    }
    if (process.env.CONSOLE_AUDIT_ECHO) process.stdout.write(`${readFileSync(auditPath, 'utf8')}`);
  });

  it("refuses a product backend's key: wrong role", async () => {
    const context = await browser.newContext();
    const { page, status: refused } = await signIn(context, API_KEY);
    expect(refused).toBe(403);
    await expect(page.locator('main').textContent()).resolves.toContain('Only an ops key (API_OPS_KEYS)');
    expect(await context.cookies()).not.toContainEqual(expect.objectContaining({ name: 'console-session' }));
    await context.close();
    expect(auditLines()).toContainEqual(
      expect.objectContaining({ event: 'sign_in_refused', result: 'wrong_role' }),
    );
  });

  it('refuses forged forms, requests without a session, and documents of other runs', async () => {
    const context = await browser.newContext();
    const { page } = await signIn(context, OPS_KEY);
    await page.goto(`${env.appUrl}/console/cases/${newer}`);
    const csrf = await page.locator('form.decide input[name=csrf]').inputValue();
    const runId = await page.locator('form.decide input[name=runId]').inputValue();
    const decision = `${env.appUrl}/console/cases/${newer}/decision`;
    const form = { runId, stage: 'manual_review', decision: 'rejected', reason: 'data_mismatch' };
    const origin = { Origin: env.appUrl };

    // The session cookie rides along (same context), the token does not or is wrong, or another site sent it.
    const post = (data: Record<string, string>, headers: Record<string, string> = origin) =>
      context.request.post(decision, { form: data, headers, maxRedirects: 0 });
    expect((await post(form)).status()).toBe(403);
    expect((await post({ ...form, csrf: `${csrf.slice(0, -2)}xx` })).status()).toBe(403);
    expect((await post({ ...form, csrf }, { Origin: 'https://evil.example' })).status()).toBe(403);
    await expect(status(newer)).resolves.toMatchObject({ stage: 'manual_review', status: 'RUNNING' });

    // Without a session: pages send to sign-in, actions are refused.
    const anonymous = await browser.newContext();
    const queue = await anonymous.request.get(queueUrl(), { maxRedirects: 0 });
    expect(queue.status()).toBe(303);
    expect(queue.headers().location).toMatch(/^\/console\/sign-in\?next=/);
    const anonymousPost = await anonymous.request.post(decision, {
      form: { ...form, csrf },
      headers: origin,
      maxRedirects: 0,
    });
    expect(anonymousPost.status()).toBe(401);
    const { documents } = await status(newer);
    const documentUrl = `${env.appUrl}/console/cases/${newer}/documents/${documents[0].fileId}?run=${runId}`;
    expect((await anonymous.request.get(documentUrl, { maxRedirects: 0 })).status()).toBe(401);
    await anonymous.close();

    // Signed in: the document is served uncacheable with its stored type; another run's file id is not.
    const served = await context.request.get(documentUrl);
    expect(served.status()).toBe(200);
    expect(served.headers()).toMatchObject({
      'content-type': documents[0].contentType,
      'cache-control': 'no-store',
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
    });
    const { documents: olderDocuments } = await status(older);
    const foreign = `${env.appUrl}/console/cases/${newer}/documents/${olderDocuments[0].fileId}?run=${runId}`;
    expect((await context.request.get(foreign)).status()).toBe(404);
    const page404 = await context.request.get(`${env.appUrl}/console/cases/${newer}`);
    expect(page404.headers()['content-security-policy']).toMatch(/default-src 'none'.*style-src 'nonce-/);
    await context.close();
  });

  it('believes an SSO identity header only from the trusted proxy, and only when configured with one', async () => {
    const behind = (proxies: string[]) =>
      createApp({
        temporal: env.client,
        config: {
          ...env.config,
          console: {
            ...env.config.console,
            trustedIdentityHeader: 'x-forwarded-user',
            trustedProxies: proxies,
          },
        },
        logger: captureLogs().logger,
      });
    const trusted = await request(behind(['127.0.0.1', '::1']))
      .get(`/console/queue?customerIdPrefix=${prefix}`)
      .set('X-Forwarded-User', 'rita@example.com');
    expect(trusted.status).toBe(200);
    expect(trusted.text).toContain('Signed in as <strong>rita@example.com</strong>');
    expect(auditLines()).toContainEqual(
      expect.objectContaining({ event: 'sign_in', reviewer: 'rita@example.com', via: 'sso' }),
    );

    const elsewhere = await request(behind(['10.9.9.9']))
      .get('/console/queue')
      .set('X-Forwarded-User', 'rita@example.com');
    expect(elsewhere.status).toBe(303);

    // An audit line that cannot be written (the target is a directory): nothing is shown.
    const unrecorded = await request(
      createApp({
        temporal: env.client,
        config: {
          ...env.config,
          console: {
            ...env.config.console,
            trustedIdentityHeader: 'x-forwarded-user',
            trustedProxies: ['127.0.0.1', '::1'],
            auditLog: { target: 'file', path: workDir },
          },
        },
        logger: captureLogs().logger,
      }),
    )
      .get(`/console/cases/${newer}`)
      .set('X-Forwarded-User', 'rita@example.com');
    expect(unrecorded.status).toBe(503);
    expect(unrecorded.text).not.toContain(SAMPLE_REGISTRATION.lastName);
    expect(() => loadConfig({ CONSOLE_TRUSTED_IDENTITY_HEADER: 'x-forwarded-user' })).toThrow(
      /CONSOLE_TRUSTED_PROXIES: required/,
    );
  });
});
