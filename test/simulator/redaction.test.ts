/**
 * A redacted verification holds no personal data in the simulator: the IDV's registration, the identification's
 * document fields and its files are gone once `redaction.redactedUtc` shows (simulator/redaction.ts says what is
 * Ondato's documented behaviour and what is the simulator's guess), and nothing else of the IDV is touched.
 */
import { createRequest, REGISTRATION, startTestSimulator, waitFor, type TestSimulator } from './support';

let sim: TestSimulator;
beforeAll(async () => {
  sim = await startTestSimulator({ documentBytes: 4096 });
});
afterAll(async () => {
  await sim?.close();
});

const DOCUMENT = {
  firstName: 'Ona',
  lastName: 'Petraitė',
  fullName: 'Ona Petraitė',
  dateOfBirth: '1988-02-29',
  personalCode: '48802290000',
  documentNumber: 'LT9988776',
  dateOfExpiration: '2031-05-17',
};
const PERSONAL_VALUES = [...Object.values(DOCUMENT), REGISTRATION.email, String(REGISTRATION.phoneNumber)];

describe('redaction in the simulator', () => {
  it("erases the registration, the identification's document data and its files", async () => {
    const client = sim.client();
    const { id } = await client.createIdentityVerification(createRequest('c-erase-me'));
    const { kycId } = await sim.control.complete(id, { outcome: 'approved', document: DOCUMENT });
    const kyc = await client.getKycIdentification(kycId as string);
    const fileId = kyc.document?.files?.[0]?.fileId as string;
    const before = JSON.stringify(await sim.control.verification(id));
    // The control: before the redaction every value is there, and the file downloads.
    for (const value of PERSONAL_VALUES) expect(before).toContain(value);
    (await client.downloadKycFile(kycId as string, fileId)).stream.destroy();

    await client.redactIdentityVerification(id);
    await waitFor(async () => (await client.getIdentityVerification(id)).redaction?.redactedUtc);

    const idv = await client.getIdentityVerification(id);
    const identification = await client.getKycIdentification(kycId as string);
    const state = JSON.stringify({ idv, identification, control: await sim.control.verification(id) });
    for (const value of PERSONAL_VALUES) expect(state).not.toContain(value);
    expect(identification).toMatchObject({
      id: kycId,
      status: 'Approved',
      externalReferenceId: 'c-erase-me',
    });
    expect(identification.document?.files ?? []).toEqual([]);
    expect(identification.face?.files ?? []).toEqual([]);
    await expect(client.downloadKycFile(kycId as string, fileId)).rejects.toMatchObject({ status: 404 });
  });

  it('leaves other verifications of the same customer alone', async () => {
    const client = sim.client();
    const kept = await client.createIdentityVerification(createRequest('c-two-sessions'));
    const erased = await client.createIdentityVerification(createRequest('c-two-sessions'));
    await client.redactIdentityVerification(erased.id);
    await waitFor(async () => (await client.getIdentityVerification(erased.id)).redaction?.redactedUtc);
    expect((await client.getIdentityVerification(kept.id)).registration).toMatchObject({
      firstName: REGISTRATION.firstName,
    });
  });
});
