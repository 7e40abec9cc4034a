/**
 * The simulator's redaction endpoint (through the real client) and the two faults the orphan and id-mismatch
 * tests rely on: `lateAnswer` (the session exists before its id reaches the caller) and `substitute` (another
 * session's resource answers the request).
 */
import { createRequest, startTestSimulator, waitFor, type TestSimulator } from './support';

let sim: TestSimulator;
beforeAll(async () => {
  sim = await startTestSimulator();
});
afterAll(async () => {
  await sim?.close();
});
afterEach(async () => {
  await sim.control.clearFaults();
});

describe('PUT /v1/identity-verifications/:id/redact', () => {
  it('accepts at once and erases asynchronously: redaction.redactedUtc appears on the IDV', async () => {
    const client = sim.client();
    const { id } = await client.createIdentityVerification(createRequest('c-redact'));
    await client.redactIdentityVerification(id);
    const [summary] = await sim.control.verifications({ externalReferenceId: 'c-redact' });
    expect(summary.redactionRequestedUtc).not.toBeNull();

    const redacted = await waitFor(async () => {
      const idv = await client.getIdentityVerification(id);
      return idv.redaction?.redactedUtc ? idv : undefined;
    });
    expect(redacted.registration ?? null).toBeNull();
    // Asking again changes nothing.
    await client.redactIdentityVerification(id);
    expect((await client.getIdentityVerification(id)).redaction?.redactedUtc).toBe(
      redacted.redaction?.redactedUtc,
    );
  });

  it('answers 404 for an unknown IDV (a non-retryable client error)', async () => {
    await expect(sim.client().redactIdentityVerification('no-such-idv')).rejects.toMatchObject({
      status: 404,
      retryable: false,
    });
  });
});

describe('faults', () => {
  it('lateAnswer: the session is created at once, the answer arrives later', async () => {
    await sim.control.setFault({ route: 'createIdv', mode: 'lateAnswer', latencyMs: 600, times: 1 });
    const started = Date.now();
    const creating = sim.client().createIdentityVerification(createRequest('c-late'));
    const [session] = await waitFor(async () => {
      const list = await sim.control.verifications({ externalReferenceId: 'c-late' });
      return list.length > 0 ? list : undefined;
    });
    const { id } = await creating;
    expect(id).toBe(session.id);
    expect(Date.now() - started).toBeGreaterThanOrEqual(550);
  });

  it("substitute: another session's identification answers, until the fault is cleared", async () => {
    const client = sim.client();
    const own = await client.createIdentityVerification(createRequest('c-own'));
    const other = await client.createIdentityVerification(createRequest('c-other'));
    const ownKyc = await sim.control.complete(own.id, { outcome: 'approved' });
    const otherKyc = await sim.control.complete(other.id, { outcome: 'approved' });

    await sim.control.setFault({
      route: 'getKyc',
      mode: 'substitute',
      substituteId: otherKyc.kycId as string,
    });
    const answered = await client.getKycIdentification(ownKyc.kycId as string);
    expect(answered.id).toBe(otherKyc.kycId);
    expect(answered.externalReferenceId).toBe('c-other');

    await sim.control.clearFaults();
    expect((await client.getKycIdentification(ownKyc.kycId as string)).id).toBe(ownKyc.kycId);
  });

  it('refuses substituteId without mode substitute, and mode substitute without it', async () => {
    await expect(
      sim.control.setFault({ route: 'getKyc', mode: 'status', substituteId: 'x' }),
    ).rejects.toMatchObject({ status: 400 });
    await expect(sim.control.setFault({ route: 'getKyc', mode: 'substitute' })).rejects.toMatchObject({
      status: 400,
    });
  });
});
