/**
 * The simulator's state file: sessions survive a stop and a new start on the same file (the customer page,
 * GET IDV/KYC, file downloads, completion and decision all carry on), writes are coalesced and flushed on close,
 * a corrupt file is set aside, and without a file a restart forgets (the control that shows the rest can fail).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../config';
import type { OndatoClient } from '../../ondato/client';
import type { OndatoError } from '../../ondato/errors';
import type { SimulatorOptions } from '../../simulator/app';
import { simulatorOptionsFromConfig } from '../../simulator/options-from-config';
import { persistedStateSchema } from '../../simulator/persistence';
import { caught, createRequest, startTestSimulator, type TestSimulator } from './support';

let dir: string;
let stateFile: string;
const running: TestSimulator[] = [];

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'simulator-state-'));
  stateFile = path.join(dir, 'simulator.json');
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((sim) => sim.close()));
  rmSync(dir, { recursive: true, force: true });
});

interface Captured {
  warnings: Array<Record<string, unknown>>;
  events: Array<Record<string, unknown>>;
}

async function start(options: Partial<SimulatorOptions> = {}): Promise<TestSimulator & Captured> {
  const warnings: Array<Record<string, unknown>> = [];
  const events: Array<Record<string, unknown>> = [];
  const sim = await startTestSimulator({
    warn: (line) => warnings.push(JSON.parse(line) as Record<string, unknown>),
    log: (line) => events.push(JSON.parse(line) as Record<string, unknown>),
    ...options,
  });
  running.push(sim);
  return Object.assign(sim, { warnings, events });
}

/** Stops a simulator the way `npm start` does on Ctrl-C. */
async function stop(sim: TestSimulator): Promise<void> {
  running.splice(running.indexOf(sim), 1);
  await sim.close();
  // A real restart takes seconds: by then the clients' idle keep-alive sockets have seen the close (otherwise
  // the next request may go out on one and fail as a network error, which the worker would retry).
  await new Promise((resolve) => setTimeout(resolve, 100));
}

async function download(
  client: OndatoClient,
  kycId: string,
  fileId: string,
): Promise<{ sha256: string; bytes: number }> {
  const { stream } = await client.downloadKycFile(kycId, fileId);
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

async function openPage(url: string): Promise<{ status: number; html: string }> {
  const response = await fetch(url);
  return { status: response.status, html: await response.text() };
}

/** Presses the page's Approve button, as a browser would submit its form. */
async function approveOnPage(baseUrl: string, html: string): Promise<{ status: number; html: string }> {
  const form = (html.match(/<form[\s\S]*?<\/form>/g) ?? []).find((candidate) =>
    candidate.includes('name="action" value="approve"'),
  );
  if (!form) throw new Error('the page has no Approve button');
  const fields = new URLSearchParams();
  for (const [, name, value] of form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields.set(name, value);
  }
  const action = new URL(/action="([^"]+)"/.exec(form)![1], baseUrl).toString();
  const response = await fetch(action, { method: 'POST', body: fields });
  return { status: response.status, html: await response.text() };
}

it('keeps open and finished sessions across a stop and a new start on the same state file', async () => {
  const first = await start({ stateFile, documentBytes: 100_000 });
  // One client for both simulators, like the worker across a restart: its token is unknown to the second one
  // (tokens are not kept), so it gets a 401 and fetches a new token.
  const client = first.client();

  // A: finished before the stop, with its files downloaded.
  const a = await client.createIdentityVerification(createRequest('customer-a'));
  const aDone = await first.control.complete(a.id, { outcome: 'approved', documentBytes: 64_000 });
  const aBefore = await first.control.verification(a.id);
  const aKyc = await client.getKycIdentification(aDone.kycId!);
  const aFiles = [...(aKyc.document?.files ?? []), ...(aKyc.face?.files ?? [])];
  expect(aFiles).toHaveLength(3);
  const aHashes = await Promise.all(aFiles.map((file) => download(client, aKyc.id, file.fileId)));
  expect(aHashes.every((file) => file.bytes === 64_000)).toBe(true);

  // B: the customer opened the page and left it open.
  const b = await client.createIdentityVerification(createRequest('customer-b'));
  const bUrl = client.customerUrl(b.id);
  expect((await openPage(bUrl)).status).toBe(200);
  const bBefore = await first.control.verification(b.id);
  expect(bBefore.identityVerification.status).toBe('InProgress');

  // C: waiting for Ondato's manual review.
  const c = await client.createIdentityVerification(createRequest('customer-c'));
  const cDone = await first.control.complete(c.id, { outcome: 'awaiting' });

  await stop(first);
  expect(existsSync(stateFile)).toBe(true);

  // Same port, so the customer URL handed out before the stop still works; another default file size, so the
  // sizes must come from the file.
  const second = await start({ stateFile, port: first.running.port, documentBytes: 50_000 });
  expect(second.warnings).toEqual([]);
  expect(second.events).toContainEqual(
    expect.objectContaining({ event: 'state.loaded', identityVerifications: 3, identifications: 2 }),
  );

  // A: the same resources, the same bytes.
  expect(await second.control.verification(a.id)).toEqual(aBefore);
  expect(await client.getIdentityVerification(a.id)).toEqual(aBefore.identityVerification);
  expect(await client.getKycIdentification(aKyc.id)).toEqual(aKyc);
  expect(await Promise.all(aFiles.map((file) => download(client, aKyc.id, file.fileId)))).toEqual(aHashes);

  // B: still in progress; the page loads and its Approve button finishes it.
  const bIdv = await client.getIdentityVerification(b.id);
  expect(bIdv).toEqual(bBefore.identityVerification);
  const page = await openPage(bUrl);
  expect(page.status).toBe(200);
  expect(page.html).not.toContain('Session not found');
  expect(page.html).toContain('Hello Ona');
  const approved = await approveOnPage(second.running.url, page.html);
  expect(approved.status).toBe(200);
  expect(approved.html).toContain('Approved');
  const bDone = await client.getIdentityVerification(b.id);
  expect(bDone.status).toBe('Completed');
  const bKyc = await client.getKycIdentification(bDone.step!.kycIdentification!.id);
  expect(bKyc).toMatchObject({ status: 'Approved', externalReferenceId: 'customer-b' });
  const bFile = bKyc.document!.files![0];
  const bHash = await download(client, bKyc.id, bFile.fileId);
  expect(bHash.bytes).toBe(50_000);

  // C: Ondato's later decision still lands.
  expect(await second.control.decide(cDone.kycId!, { status: 'Approved' })).toMatchObject({
    status: 'Approved',
  });

  // Changes made after the restart survive the next one too.
  await stop(second);
  const third = await start({ stateFile, port: first.running.port });
  expect((await client.getIdentityVerification(b.id)).status).toBe('Completed');
  expect(await download(client, bKyc.id, bFile.fileId)).toEqual(bHash);
  expect((await client.getKycIdentification(cDone.kycId!)).status).toBe('Approved');
  expect((await third.control.stats()).identityVerifications).toBe(3);
});

it('coalesces a burst of changes into a few atomic writes and writes the rest on close', async () => {
  const sim = await start({ stateFile });
  const client = sim.client();
  const created = await Promise.all(
    Array.from({ length: 200 }, (_, index) => client.createIdentityVerification(createRequest(`c-${index}`))),
  );
  await stop(sim);

  const saves = sim.events.filter((event) => event.event === 'state.saved');
  expect(saves.length).toBeGreaterThanOrEqual(1);
  expect(saves.length).toBeLessThan(20);
  const state = persistedStateSchema.parse(JSON.parse(readFileSync(stateFile, 'utf8')));
  expect(state.identityVerifications.map((idv) => idv.id).sort()).toEqual(created.map(({ id }) => id).sort());
  expect(readdirSync(dir)).toEqual(['simulator.json']); // no temporary file left behind
});

it.each([
  ['not JSON', '{"format": "ondato-simulator-state", "vers'],
  [
    'JSON of the wrong shape',
    JSON.stringify({
      format: 'ondato-simulator-state',
      version: 1,
      savedUtc: '2025-01-01T00:00:00.000Z',
      identityVerifications: [{ id: 42 }],
      identifications: [],
    }),
  ],
])('sets a corrupt state file (%s) aside and starts empty', async (_what, content) => {
  writeFileSync(stateFile, content);
  const sim = await start({ stateFile });

  expect(sim.warnings).toHaveLength(1);
  const [warning] = sim.warnings;
  expect(warning).toMatchObject({ event: 'state.corrupt', file: stateFile, action: 'started empty' });
  expect(warning.keptAs).toMatch(/simulator\.json\.corrupt-\d{4}-\d{2}-\d{2}T/);
  expect(readFileSync(warning.keptAs as string, 'utf8')).toBe(content);
  expect(existsSync(stateFile)).toBe(false);
  expect((await sim.control.stats()).identityVerifications).toBe(0);

  // It works as usual, and the next file is a good one.
  const { id } = await sim.client().createIdentityVerification(createRequest());
  await stop(sim);
  const state = persistedStateSchema.parse(JSON.parse(readFileSync(stateFile, 'utf8')));
  expect(state.identityVerifications.map((idv) => idv.id)).toEqual([id]);
});

it('control: without a state file a restart forgets every session', async () => {
  const first = await start();
  const client = first.client();
  const { id } = await client.createIdentityVerification(createRequest());
  expect((await openPage(client.customerUrl(id))).status).toBe(200);
  await stop(first);

  await start({ port: first.running.port });
  expect(((await caught(client.getIdentityVerification(id))) as OndatoError).status).toBe(404);
  const page = await openPage(client.customerUrl(id));
  expect(page.status).toBe(404);
  expect(page.html).toContain('Session not found');
  expect(readdirSync(dir)).toEqual([]);
});

it('SIMULATOR_STATE_FILE: .data/simulator.json by default, `none` for memory only', () => {
  expect(simulatorOptionsFromConfig(loadConfig({})).stateFile).toBe('.data/simulator.json');
  expect(simulatorOptionsFromConfig(loadConfig({ SIMULATOR_STATE_FILE: '/tmp/x.json' })).stateFile).toBe(
    '/tmp/x.json',
  );
  expect(simulatorOptionsFromConfig(loadConfig({ SIMULATOR_STATE_FILE: 'none' })).stateFile).toBeUndefined();
});
