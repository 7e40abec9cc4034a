/** The real Ondato client against the real simulator over loopback HTTP. */
import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import { OndatoError } from '../../ondato/errors';
import type { OndatoClient } from '../../ondato/client';
import {
  caught,
  CLIENT_SECRET,
  createRequest,
  REGISTRATION,
  SETUP_ID,
  startTestSimulator,
  type TestSimulator,
} from '../simulator/support';

let sim: TestSimulator;
let client: OndatoClient;

beforeAll(async () => {
  sim = await startTestSimulator({ documentBytes: 200_000 });
  client = sim.client();
});
afterEach(() => sim.control.clearFaults());
afterAll(() => sim.close());

async function ondatoError(promise: Promise<unknown>): Promise<OndatoError> {
  const error = await caught(promise);
  expect(error).toBeInstanceOf(OndatoError);
  return error as OndatoError;
}

async function completedVerification(outcome: 'approved' | 'awaiting' = 'approved') {
  const { id } = await client.createIdentityVerification(createRequest());
  const completed = await sim.control.complete(id, { outcome });
  return { idvId: id, kycId: completed.kycId as string };
}

describe('happy paths', () => {
  it('creates a verification and reads it back as Pending', async () => {
    const { id } = await client.createIdentityVerification(createRequest('customer-42'));
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const idv = await client.getIdentityVerification(id);
    expect(idv).toMatchObject({
      id,
      status: 'Pending',
      externalReferenceId: 'customer-42',
      registration: { phoneNumber: REGISTRATION.phoneNumber, firstName: 'Ona' },
      setup: { id: SETUP_ID },
    });
    expect(idv.step?.kycIdentification).toBeNull();
  });

  it('builds the customer URL on the web-flow host', () => {
    expect(client.customerUrl('abc-1')).toBe(`${sim.running.url}/idv/?id=abc-1`);
  });

  it('follows a completed verification to its identification and its files', async () => {
    const { idvId, kycId } = await completedVerification();
    const idv = await client.getIdentityVerification(idvId);
    expect(idv.status).toBe('Completed');
    expect(idv.step?.kycIdentification?.id).toBe(kycId);

    const kyc = await client.getKycIdentification(kycId);
    expect(kyc).toMatchObject({
      id: kycId,
      identityVerificationId: idvId,
      externalReferenceId: 'customer-1',
      status: 'Approved',
      document: {
        type: 'IdCard',
        firstName: REGISTRATION.firstName,
        lastName: REGISTRATION.lastName,
        dateOfBirth: REGISTRATION.dateOfBirth,
        personalCode: REGISTRATION.personalCode,
      },
      rules: expect.arrayContaining([{ name: 'SelfieAndDocumentFacesMatch', status: 'Success' }]),
    });
    expect(Date.parse(kyc.document?.dateOfExpiration ?? '')).toBeGreaterThan(Date.now());
    expect(kyc.document?.files?.map((file) => [file.part, file.fileType])).toEqual([
      ['Front', 'DocumentPhoto'],
      ['Back', 'DocumentPhoto'],
    ]);
    expect(kyc.face?.files).toHaveLength(1);

    const download = await client.downloadKycFile(kycId, kyc.document!.files![0].fileId);
    expect(download.contentType).toBe('image/jpeg');
    expect(download.contentLength).toBe(200_000);
    let bytes = 0;
    for await (const chunk of download.stream) bytes += (chunk as Buffer).length;
    expect(bytes).toBe(200_000);
  });

  it('passes unknown fields and unknown enum values through', async () => {
    const { idvId, kycId } = await completedVerification();
    await sim.control.patchVerification(idvId, {
      status: 'SomethingNew',
      extraFields: { brandNew: { nested: [1, 2] } },
    });
    await sim.control.patchIdentification(kycId, {
      status: 'UnderReview',
      extraFields: { riskLevel: 'low' },
    });

    const idv = await client.getIdentityVerification(idvId);
    expect(idv.status).toBe('SomethingNew');
    expect((idv as Record<string, unknown>).brandNew).toEqual({ nested: [1, 2] });
    // Fields the schema does not list, present on every real resource, are kept too.
    expect(idv.step).toHaveProperty('faceAuthentication');

    const kyc = await client.getKycIdentification(kycId);
    expect(kyc.status).toBe('UnderReview');
    expect((kyc as Record<string, unknown>).riskLevel).toBe('low');
    expect(kyc).toHaveProperty('fraudChecks');
  });

  it('accepts a document type it has never seen', async () => {
    const { id } = await client.createIdentityVerification(createRequest());
    const { kycId } = await sim.control.complete(id, {
      outcome: 'rejected',
      document: { type: 'SeafarerBook' },
    });
    const kyc = await client.getKycIdentification(kycId as string);
    expect(kyc.document?.type).toBe('SeafarerBook');
    expect(kyc.statusReason).toBe('PoorPhotoQuality');
  });
});

describe('errors and their retryability', () => {
  it('400 ValidationFailed carries the field params (a phone number sent as a string)', async () => {
    const request = { ...createRequest(), registration: { ...REGISTRATION, phoneNumber: '+37060000000' } };
    const error = await ondatoError(client.createIdentityVerification(request as never));
    expect(error).toMatchObject({ kind: 'http', status: 400, reason: 'ValidationFailed', retryable: false });
    expect(error.params?.['registration.phoneNumber']?.[0]?.reason).toBe('InvalidType');
  });

  it('400 names a missing setupId', async () => {
    const error = await ondatoError(client.createIdentityVerification({ externalReferenceId: 'x' } as never));
    expect(error.params).toHaveProperty('setupId');
    expect(error.params?.setupId?.[0]).toMatchObject({ reason: 'Required' });
  });

  it('403 when the token lacks the scope', async () => {
    const readOnly = sim.client({ scope: 'idv_api_readonly' });
    const error = await ondatoError(readOnly.createIdentityVerification(createRequest()));
    expect(error).toMatchObject({
      kind: 'http',
      status: 403,
      reason: 'AuthorizationFailed',
      retryable: false,
    });
  });

  it('404 NotFound is not retryable', async () => {
    const error = await ondatoError(client.getIdentityVerification(randomUUID()));
    expect(error).toMatchObject({ kind: 'http', status: 404, reason: 'NotFound', retryable: false });
    expect(error.operation).toBe('getIdentityVerification');
  });

  it('429 with Retry-After is retryable and says when', async () => {
    await sim.control.setFault({ route: 'getKyc', mode: 'retryAfter', retryAfterSeconds: 7, times: 1 });
    const error = await ondatoError(client.getKycIdentification(randomUUID()));
    expect(error).toMatchObject({ kind: 'http', status: 429, retryable: true, retryAfterMs: 7_000 });
  });

  it('503 is retryable and keeps the reason', async () => {
    await sim.control.setFault({ route: 'getIdv', mode: 'status', status: 503, times: 1 });
    const error = await ondatoError(client.getIdentityVerification(randomUUID()));
    expect(error).toMatchObject({ kind: 'http', status: 503, reason: 'ServiceUnavailable', retryable: true });
  });

  it('a dropped connection is a retryable network error', async () => {
    await sim.control.setFault({ route: 'createIdv', mode: 'drop', times: 1 });
    const error = await ondatoError(client.createIdentityVerification(createRequest()));
    expect(error).toMatchObject({ kind: 'network', retryable: true });
  });

  it.each([
    ['createIdv', 'id'],
    ['getIdv', 'step.kycIdentification.id'],
    ['getKyc', 'document.files.0.fileId'],
  ] as const)('a malformed %s body names the offending field', async (route, field) => {
    await sim.control.setFault({ route, mode: 'malformed', times: 1 });
    const call =
      route === 'createIdv'
        ? client.createIdentityVerification(createRequest())
        : route === 'getIdv'
          ? client.getIdentityVerification(randomUUID())
          : client.getKycIdentification(randomUUID());
    const error = await ondatoError(call);
    expect(error).toMatchObject({ kind: 'malformed_response', field, retryable: false });
  });

  it('a body that is not JSON is malformed too', async () => {
    await sim.control.setFault({ route: 'getIdv', mode: 'malformed', malformed: 'invalid_json', times: 1 });
    const error = await ondatoError(client.getIdentityVerification(randomUUID()));
    expect(error).toMatchObject({ kind: 'malformed_response', field: '(body)' });
  });

  it('a slow answer ends in a retryable timeout', async () => {
    const impatient = sim.client({ requestTimeoutMs: 150 });
    await impatient.getIdentityVerification(randomUUID()).catch(() => undefined); // token first
    await sim.control.setFault({ route: 'getIdv', mode: 'latency', latencyMs: 1_000, times: 1 });
    const error = await ondatoError(impatient.getIdentityVerification(randomUUID()));
    expect(error).toMatchObject({ kind: 'timeout', retryable: true });
  });

  it("the caller's abort is 'aborted', not a timeout, and not retryable", async () => {
    await sim.control.setFault({ route: 'getIdv', mode: 'latency', latencyMs: 1_000, times: 1 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await ondatoError(
      client.getIdentityVerification(randomUUID(), { signal: controller.signal }),
    );
    expect(error).toMatchObject({ kind: 'aborted', retryable: false });
  });

  it('wrong client credentials: a non-retryable 401 from the token server, secret not in the error', async () => {
    const wrong = sim.client({ clientSecret: 'wrong-secret-value' });
    const error = await ondatoError(wrong.getIdentityVerification(randomUUID()));
    expect(error).toMatchObject({
      kind: 'http',
      operation: 'token',
      status: 401,
      reason: 'invalid_client',
      retryable: false,
    });
    const printed = inspect(error, { depth: 5 });
    expect(printed).not.toContain('wrong-secret-value');
    expect(printed).not.toContain(CLIENT_SECRET);
  });
});

describe('downloads', () => {
  it('the request timeout covers the headers only: a slow reader still gets the whole file', async () => {
    const impatient = sim.client({ requestTimeoutMs: 300 });
    const { kycId } = await completedVerification();
    const kyc = await impatient.getKycIdentification(kycId);
    const download = await impatient.downloadKycFile(kycId, kyc.face!.files![0].fileId);
    await new Promise((resolve) => setTimeout(resolve, 500));
    let bytes = 0;
    for await (const chunk of download.stream) bytes += (chunk as Buffer).length;
    expect(bytes).toBe(200_000);
  });

  it('slow headers time out', async () => {
    const impatient = sim.client({ requestTimeoutMs: 150 });
    const { kycId } = await completedVerification();
    const kyc = await impatient.getKycIdentification(kycId);
    await sim.control.setFault({ route: 'downloadFile', mode: 'latency', latencyMs: 1_000, times: 1 });
    const error = await ondatoError(impatient.downloadKycFile(kycId, kyc.document!.files![0].fileId));
    expect(error).toMatchObject({ kind: 'timeout', operation: 'downloadKycFile' });
  });

  it("the caller's abort stops a running download with an 'aborted' stream error", async () => {
    const { id: idvId } = await client.createIdentityVerification(createRequest());
    const { kycId } = await sim.control.complete(idvId, { outcome: 'approved', documentBytes: 20_000_000 });
    const kyc = await client.getKycIdentification(kycId as string);
    const controller = new AbortController();
    const download = await client.downloadKycFile(kycId as string, kyc.document!.files![0].fileId, {
      signal: controller.signal,
    });
    let chunks = 0;
    const error = await caught(
      (async () => {
        for await (const chunk of download.stream) {
          expect(chunk).toBeInstanceOf(Buffer);
          if (++chunks === 2) controller.abort();
        }
      })(),
    );
    expect(error).toBeInstanceOf(OndatoError);
    expect(error).toMatchObject({ kind: 'aborted', operation: 'downloadKycFile' });
  });

  it('a body cut off before its Content-Length is a retryable network error on the stream', async () => {
    const { kycId } = await completedVerification();
    const kyc = await client.getKycIdentification(kycId);
    await sim.control.setFault({ route: 'downloadFile', mode: 'malformed', times: 1 });
    const download = await client.downloadKycFile(kycId, kyc.document!.files![0].fileId);
    expect(download.contentLength).toBe(1_000_000);
    const error = await caught(
      (async () => {
        for await (const chunk of download.stream) void chunk;
      })(),
    );
    expect(error).toMatchObject({ kind: 'network', retryable: true });
  });

  it('an unknown file is a 404', async () => {
    const { kycId } = await completedVerification();
    const error = await ondatoError(client.downloadKycFile(kycId, randomUUID()));
    expect(error).toMatchObject({ kind: 'http', status: 404, retryable: false });
  });
});
