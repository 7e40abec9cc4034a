/** The customer page: rendered HTML, and its forms finishing a verification like a person would. */
import { randomUUID } from 'node:crypto';
import { createRequest, startTestSimulator, type TestSimulator } from './support';

let sim: TestSimulator;

beforeAll(async () => {
  sim = await startTestSimulator();
});
afterAll(() => sim.close());

async function openPage(idvId: string): Promise<{ status: number; html: string }> {
  const response = await fetch(sim.client().customerUrl(idvId));
  expect(response.headers.get('content-type')).toMatch(/^text\/html/);
  return { status: response.status, html: await response.text() };
}

/** Reads the form that carries `action`, as a browser would submit it. */
function formFor(html: string, action: string): { url: string; fields: URLSearchParams } {
  const forms = html.match(/<form[\s\S]*?<\/form>/g) ?? [];
  const form = forms.find((candidate) => candidate.includes(`name="action" value="${action}"`));
  if (!form) throw new Error(`no form for ${action}`);
  const fields = new URLSearchParams();
  for (const [, name, value] of form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields.set(name, value);
  }
  const select = /<select name="([^"]+)"[^>]*>\s*<option value="([^"]+)"/.exec(form);
  if (select) fields.set(select[1], select[2]);
  return { url: new URL(/action="([^"]+)"/.exec(form)![1], sim.running.url).toString(), fields };
}

async function submit(form: {
  url: string;
  fields: URLSearchParams;
}): Promise<{ status: number; html: string }> {
  const response = await fetch(form.url, { method: 'POST', body: form.fields });
  return { status: response.status, html: await response.text() };
}

it('renders a self-contained page and moves the verification to InProgress', async () => {
  const { id } = await sim.client().createIdentityVerification(createRequest());
  const { status, html } = await openPage(id);
  expect(status).toBe(200);
  expect(html).toContain('<!doctype html>');
  expect(html).toContain('Hello Ona');
  for (const label of ['Approve', 'Reject', 'Awaiting', 'Abort']) expect(html).toContain(label);
  for (const reason of ['PoorPhotoQuality', 'DocumentIsExpired', 'DataDoesNotMatch'])
    expect(html).toContain(reason);
  expect(html).not.toMatch(/<(script|link)\b|src="http/); // no scripts, no external assets
  expect((await sim.client().getIdentityVerification(id)).status).toBe('InProgress');
});

it('the Approve button completes the verification and shows the result', async () => {
  const { id } = await sim.client().createIdentityVerification(createRequest());
  const page = await openPage(id);
  const result = await submit(formFor(page.html, 'approve'));
  expect(result.status).toBe(200);
  expect(result.html).toContain('approved');
  expect(result.html).toContain('Approved');
  expect(result.html).not.toContain('name="action"'); // nothing left to press

  const idv = await sim.client().getIdentityVerification(id);
  expect(idv.status).toBe('Completed');
  const kyc = await sim.client().getKycIdentification(idv.step!.kycIdentification!.id);
  expect(kyc.status).toBe('Approved');
});

it('the Reject button sends the chosen reason', async () => {
  const { id } = await sim.client().createIdentityVerification(createRequest());
  const form = formFor((await openPage(id)).html, 'reject');
  form.fields.set('statusReason', 'DataDoesNotMatch');
  const result = await submit(form);
  expect(result.html).toContain('DataDoesNotMatch');
  const state = await sim.control.verification(id);
  expect(state.identification).toMatchObject({ status: 'Rejected', statusReason: 'DataDoesNotMatch' });
});

it.each([
  ['awaiting', 'Completed', 'Awaiting'],
  ['abort', 'Aborted', null],
] as const)('the %s button ends the verification as %s', async (action, idvStatus, kycStatus) => {
  const { id } = await sim.client().createIdentityVerification(createRequest());
  await submit(formFor((await openPage(id)).html, action));
  const state = await sim.control.verification(id);
  expect(state.identityVerification.status).toBe(idvStatus);
  expect((state.identification as { status?: string } | null)?.status ?? null).toBe(kycStatus);
});

it('a finished verification shows its outcome and refuses a second completion', async () => {
  const { id } = await sim.client().createIdentityVerification(createRequest());
  const page = await openPage(id);
  await submit(formFor(page.html, 'abort'));
  const again = await openPage(id);
  expect(again.html).toContain('Verification finished');
  const late = await submit(formFor(page.html, 'approve'));
  expect(late.status).toBe(409);
});

it('an unknown session is a 404 page', async () => {
  const { status, html } = await openPage(randomUUID());
  expect(status).toBe(404);
  expect(html).toContain('Session not found');
});

it('escapes what it shows', async () => {
  const request = createRequest();
  const { id } = await sim.client().createIdentityVerification({
    ...request,
    registration: { ...request.registration, firstName: '<img src=x onerror=alert(1)>' },
  });
  const { html } = await openPage(id);
  expect(html).not.toContain('<img src=x');
  expect(html).toContain('&#60;img src=x');
});

it("the Awaiting button is Ondato's review, and the page after it says how that review ends", async () => {
  const { id } = await sim.client().createIdentityVerification(createRequest());
  const page = await openPage(id);
  expect(page.html).toContain('Ondato reviews it (Awaiting)');
  expect(page.html).not.toContain('manual review'); // our manual review is a different thing
  const result = await submit(formFor(page.html, 'awaiting'));
  expect(result.status).toBe(200);
  expect(result.html).toContain('What happens next');
  expect(result.html).toContain('awaiting_ondato_review');
  // The command the page shows is the one that works: run it (as fetch) and Ondato's review is decided.
  const commands = [
    ...result.html.matchAll(/<pre>curl -s -X POST (\S+) [^<]*-d &#39;(\{[^<]*\})&#39;<\/pre>/g),
  ];
  expect(commands).toHaveLength(2);
  const [, url, body] = commands[0];
  const decided = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: body.replace(/&#34;/g, '"'),
  });
  expect(decided.status).toBe(200);
  const state = await sim.control.verification(id);
  expect((state.identification as { status?: string }).status).toBe('Approved');
});
