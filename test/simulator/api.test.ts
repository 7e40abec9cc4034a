/** The simulator's own HTTP surface, spoken to directly: token server, auth, validation, control API. */
import { randomUUID } from 'node:crypto';
import { SimulatorControlError } from '../../simulator/control-client';
import {
  caught,
  CLIENT_ID,
  CLIENT_SECRET,
  createRequest,
  SETUP_ID,
  startTestSimulator,
  type TestSimulator,
} from './support';

let sim: TestSimulator;

beforeAll(async () => {
  sim = await startTestSimulator({ tokenLifetimeSeconds: 120 });
});
afterEach(() => sim.control.clearFaults());
afterAll(() => sim.close());

function tokenRequest(form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(sim.hosts.tokenUrl, { method: 'POST', body: new URLSearchParams(form), headers });
}

async function accessToken(): Promise<string> {
  const response = await tokenRequest({
    grant_type: 'client_credentials',
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
  });
  return ((await response.json()) as { access_token: string }).access_token;
}

describe('token server', () => {
  it('issues a bearer token for form credentials', async () => {
    const response = await tokenRequest({
      grant_type: 'client_credentials',
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toMatchObject({
      access_token: expect.any(String),
      expires_in: 120,
      token_type: 'Bearer',
      scope: 'idv_api idv_api_readonly kyc_identifications_api kyc_identifications_api_readonly',
    });
  });

  it('accepts Basic client authentication and a narrower scope', async () => {
    const basic = Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64');
    const response = await tokenRequest(
      { grant_type: 'client_credentials', scope: 'idv_api_readonly' },
      { authorization: `Basic ${basic}` },
    );
    expect(await response.json()).toMatchObject({ scope: 'idv_api_readonly' });
  });

  it.each([
    [
      'a wrong secret',
      { grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: 'nope' },
      401,
      'invalid_client',
    ],
    [
      'another grant',
      { grant_type: 'password', client_id: CLIENT_ID, client_secret: CLIENT_SECRET },
      400,
      'unsupported_grant_type',
    ],
    [
      'an unknown scope',
      {
        grant_type: 'client_credentials',
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        scope: 'admin',
      },
      400,
      'invalid_scope',
    ],
    ['missing credentials', { grant_type: 'client_credentials' }, 400, 'invalid_request'],
  ])('refuses %s with %i %s', async (_case, form, status, error) => {
    const response = await tokenRequest(form);
    expect(response.status).toBe(status);
    expect(await response.json()).toMatchObject({ error });
  });
});

describe('API authentication', () => {
  it.each([
    ['no token', undefined],
    ['an unknown token', 'Bearer not-a-token'],
  ])('answers 401 AuthenticationFailed for %s', async (_case, authorization) => {
    const response = await fetch(`${sim.running.url}/v1/identity-verifications/${randomUUID()}`, {
      headers: authorization ? { authorization } : {},
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ reason: 'AuthenticationFailed' });
  });

  it('answers 401 once the tokens were expired early', async () => {
    const token = await accessToken();
    expect(await sim.control.expireTokens()).toMatchObject({ expired: expect.any(Number) });
    const response = await fetch(`${sim.running.url}/v1/identifications/${randomUUID()}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(401);
  });
});

describe('identity verification creation', () => {
  async function create(body: unknown, contentType = 'application/json'): Promise<Response> {
    return fetch(`${sim.running.url}/v1/identity-verifications`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await accessToken()}`, 'content-type': contentType },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  }

  it('answers 201 with the id of a Pending verification', async () => {
    const response = await create(createRequest());
    expect(response.status).toBe(201);
    const { id } = (await response.json()) as { id: string };
    expect((await sim.control.verification(id)).identityVerification).toMatchObject({ status: 'Pending' });
  });

  it.each([
    ['a missing setupId', { externalReferenceId: 'x' }, 'setupId', 'Required'],
    ['an invalid setupId', { setupId: 'not-a-uuid' }, 'setupId', 'InvalidFormat'],
    [
      'a phone number as a string',
      { setupId: SETUP_ID, registration: { phoneNumber: '370600' } },
      'registration.phoneNumber',
      'InvalidType',
    ],
    [
      'a bad birth date',
      { setupId: SETUP_ID, registration: { dateOfBirth: '29/02/1988' } },
      'registration.dateOfBirth',
      'InvalidFormat',
    ],
  ])('400 ValidationFailed for %s', async (_case, body, field, reason) => {
    const response = await create(body);
    expect(response.status).toBe(400);
    const error = (await response.json()) as {
      reason: string;
      params: Record<string, Array<{ reason: string }>>;
    };
    expect(error.reason).toBe('ValidationFailed');
    expect(error.params[field]?.[0]?.reason).toBe(reason);
  });

  it('400 for a body that is not JSON', async () => {
    const response = await create('{"setupId":', 'application/json');
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ reason: 'ValidationFailed' });
  });
});

describe('control API', () => {
  it('validates its input strictly', async () => {
    const { id } = await sim.client().createIdentityVerification(createRequest());
    const error = await caught(sim.control.complete(id, { outcome: 'maybe' } as never));
    expect(error).toBeInstanceOf(SimulatorControlError);
    expect((error as SimulatorControlError).status).toBe(400);
    const typo = await caught(sim.control.complete(id, { outcome: 'approved', documentByte: 5 } as never));
    expect((typo as SimulatorControlError).status).toBe(400);
  });

  it('completes once: a second completion is a 409', async () => {
    const { id } = await sim.client().createIdentityVerification(createRequest());
    await expect(sim.control.complete(id, { outcome: 'expired' })).resolves.toEqual({
      idvId: id,
      status: 'Expired',
    });
    const error = await caught(sim.control.complete(id, { outcome: 'approved' }));
    expect((error as SimulatorControlError).status).toBe(409);
  });

  it('unknown ids are 404s', async () => {
    expect(
      ((await caught(sim.control.complete(randomUUID(), { outcome: 'approved' }))) as SimulatorControlError)
        .status,
    ).toBe(404);
    expect(
      ((await caught(sim.control.decide(randomUUID(), { status: 'Approved' }))) as SimulatorControlError)
        .status,
    ).toBe(404);
  });

  it('overrides document data, rules and file size, and decides an Awaiting identification later', async () => {
    const { id } = await sim.client().createIdentityVerification(createRequest());
    const completed = await sim.control.complete(id, {
      outcome: 'awaiting',
      documentBytes: 4096,
      rules: [{ name: 'SelfieAndDocumentFacesMatch', status: 'Fail' }],
      document: { type: 'Passport', lastName: 'Kitas', dateOfExpiration: '2001-01-01' },
    });
    expect(completed).toMatchObject({ status: 'Completed', kycStatus: 'Awaiting' });
    const kyc = await sim.client().getKycIdentification(completed.kycId as string);
    expect(kyc.document).toMatchObject({
      type: 'Passport',
      lastName: 'Kitas',
      fullName: 'Ona Kitas',
      dateOfExpiration: '2001-01-01',
    });
    expect(kyc.document?.files?.map((file) => file.part)).toEqual(['DataPage']);
    expect(kyc.rules).toEqual([{ name: 'SelfieAndDocumentFacesMatch', status: 'Fail' }]);

    const decided = await sim.control.decide(kyc.id, { status: 'Approved' });
    expect(decided).toMatchObject({ status: 'Approved', idvId: id });
    expect((await sim.client().getKycIdentification(kyc.id)).status).toBe('Approved');
    expect(
      ((await caught(sim.control.decide(kyc.id, { status: 'Rejected' }))) as SimulatorControlError).status,
    ).toBe(409);
  });

  it('lists verifications by external reference', async () => {
    const reference = `ref-${randomUUID()}`;
    const { id } = await sim.client().createIdentityVerification(createRequest(reference));
    expect(await sim.control.verifications({ externalReferenceId: reference })).toEqual([
      expect.objectContaining({ id, externalReferenceId: reference, status: 'Pending', kycId: null }),
    ]);
  });

  it('faults apply to the next N requests, stay listed with their hits, and are cleared', async () => {
    const client = sim.client();
    const { id } = await client.createIdentityVerification(createRequest());
    const rule = await sim.control.setFault({ route: 'getIdv', mode: 'status', status: 502, times: 2 });
    expect(rule).toMatchObject({ route: 'getIdv', remaining: 2, hits: 0 });
    await expect(client.getIdentityVerification(id)).rejects.toMatchObject({ status: 502 });
    await expect(client.getIdentityVerification(id)).rejects.toMatchObject({ status: 502 });
    await expect(client.getIdentityVerification(id)).resolves.toMatchObject({ id });
    expect(await sim.control.faults()).toEqual([
      expect.objectContaining({ route: 'getIdv', hits: 2, remaining: 0 }),
    ]);

    await sim.control.setFault({ route: '*', mode: 'status', status: 500 });
    await expect(client.getIdentityVerification(id)).rejects.toMatchObject({ status: 500 });
    await expect(client.createIdentityVerification(createRequest())).rejects.toMatchObject({ status: 500 });
    await sim.control.clearFaults();
    await expect(client.getIdentityVerification(id)).resolves.toMatchObject({ id });
  });

  it('counts requests per route', async () => {
    const before = await sim.control.stats();
    const client = sim.client();
    const { id } = await client.createIdentityVerification(createRequest());
    await client.getIdentityVerification(id);
    const after = await sim.control.stats();
    expect(after.requests.createIdv - before.requests.createIdv).toBe(1);
    expect(after.requests.getIdv - before.requests.getIdv).toBe(1);
    expect(after.tokenRequests - before.tokenRequests).toBe(1);
    expect(after.tokensIssued - before.tokensIssued).toBe(1);
  });
});
