/**
 * The create call across retries (what it heartbeats, what a retry makes of an earlier attempt's heartbeat),
 * the id checks on every Ondato answer, and the guards of the extra-IDV redaction. Over a scripted Ondato in
 * memory; the real-process versions are in test/integration (idv-orphans, ondato-id-mismatch).
 */
import { ApplicationFailure, type Logger } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities, type ActivityDeps } from '../../activities';
import type { DocumentStore } from '../../storage/document-store';
import { FailureType } from '../../contract';
import type { OndatoApi } from '../../ondato/api';
import { OndatoError } from '../../ondato/errors';
import type { IdentityVerification, KycIdentification } from '../../ondato/schemas';

const noop = () => undefined;
const silent: Logger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };
const CUSTOMER = 'c-1';
const RUN_STARTED = '2026-11-29T10:00:00.000Z';

class ScriptedOndato {
  readonly idvs = new Map<string, IdentityVerification>();
  readonly kycs = new Map<string, KycIdentification>();
  readonly redacted: string[] = [];
  /** The heartbeats the activity had sent when each create request went out. */
  readonly heartbeatsAtCreate: unknown[][] = [];
  createFailure: OndatoError | undefined;
  /** When set, the created session carries this reference instead of the one asked for (a mixed-up answer). */
  createdReference: string | undefined;
  private next = 1;

  constructor(private readonly beats: unknown[]) {}

  addIdv(idv: Partial<IdentityVerification> & { id: string }): void {
    this.idvs.set(idv.id, {
      status: 'Pending',
      externalReferenceId: CUSTOMER,
      createdUtc: '2026-11-29T10:00:01',
      ...idv,
    });
  }

  api(): OndatoApi {
    const notFound = (operation: string) =>
      new OndatoError(`Ondato ${operation}: HTTP 404`, { kind: 'http', operation, status: 404 });
    return {
      createIdentityVerification: async (request) => {
        this.heartbeatsAtCreate.push([...this.beats]);
        if (this.createFailure) throw this.createFailure;
        const id = `idv-${this.next++}`;
        this.addIdv({
          id,
          externalReferenceId: this.createdReference ?? request.externalReferenceId ?? null,
        });
        return { id };
      },
      getIdentityVerification: async (idvId) => {
        const idv = this.idvs.get(idvId);
        if (!idv) throw notFound('getIdentityVerification');
        return idv;
      },
      getKycIdentification: async (kycId) => {
        const kyc = this.kycs.get(kycId);
        if (!kyc) throw notFound('getKycIdentification');
        return kyc;
      },
      downloadKycFile: async () => {
        throw new Error('not used');
      },
      redactIdentityVerification: async (idvId) => {
        this.redacted.push(idvId);
      },
      customerUrl: (idvId) => `https://idv.example.test/?id=${idvId}`,
    };
  }
}

function setup(heartbeatDetails?: unknown) {
  const beats: unknown[] = [];
  const ondato = new ScriptedOndato(beats);
  const deps: ActivityDeps = {
    ondato: ondato.api(),
    documents: {} as DocumentStore,
    defaultSetupId: '00000000-0000-4000-8000-000000000001',
    ondatoFailures: { authRetryWindowMs: 60_000 },
    callbacks: { secret: 'secret' },
  };
  const activities = createActivities(deps);
  const environment = new MockActivityEnvironment(
    { heartbeatDetails, heartbeatTimeoutMs: 3_000 },
    { logger: silent },
  );
  environment.on('heartbeat', (details: unknown) => beats.push(details));
  const run = <A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> =>
    environment.run(fn, ...args);
  return { ondato, activities, beats, run };
}

const createInput = { customerId: CUSTOMER, registration: { firstName: 'Ieva' } };

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof ApplicationFailure))
    throw new Error(`expected an ApplicationFailure, got ${String(error)}`);
  return error;
}

describe('createVerification across retries', () => {
  it('heartbeats its intent before the POST and the created id right after it', async () => {
    const { ondato, activities, beats, run } = setup();
    const created = await run(activities.createVerification, createInput);
    expect(created).toEqual({ idvId: 'idv-1', customerUrl: 'https://idv.example.test/?id=idv-1' });
    expect(ondato.heartbeatsAtCreate[0].at(-1)).toMatchObject({ awaitingAnswer: true, createdIdvIds: [] });
    expect(beats).toContainEqual(
      expect.objectContaining({ awaitingAnswer: false, createdIdvIds: ['idv-1'] }),
    );
  });

  it('reuses the IDV an earlier attempt created when Ondato still shows it open: no second POST', async () => {
    const { ondato, activities, run } = setup({ createdIdvIds: ['idv-9'], awaitingAnswer: false });
    ondato.addIdv({ id: 'idv-9', status: 'InProgress' });
    const created = await run(activities.createVerification, createInput);
    expect(created).toMatchObject({ idvId: 'idv-9', reused: true });
    expect(created.extraIdvIds).toBeUndefined();
    expect(ondato.heartbeatsAtCreate).toHaveLength(0);
  });

  it('creates a new IDV when the earlier one is no longer usable, and reports the earlier one as extra', async () => {
    for (const unusable of [
      { status: 'Expired' },
      { externalReferenceId: 'c-2' },
      { redaction: { redactedUtc: 'x' } },
    ]) {
      const { ondato, activities, run } = setup({ createdIdvIds: ['idv-9'], awaitingAnswer: false });
      ondato.addIdv({ id: 'idv-9', ...unusable });
      const created = await run(activities.createVerification, createInput);
      expect(created).toMatchObject({ idvId: 'idv-1', extraIdvIds: ['idv-9'] });
      expect(created.reused).toBeUndefined();
    }
  });

  it('counts an attempt that died between the POST and Ondato’s answer: an IDV nobody can name may exist', async () => {
    const { activities, run } = setup({ createdIdvIds: [], awaitingAnswer: true, unansweredCreates: 1 });
    const created = await run(activities.createVerification, createInput);
    expect(created).toMatchObject({ idvId: 'idv-1', unansweredCreates: 2 });
  });

  it('clears its intent when Ondato answered with an error (nothing was created)', async () => {
    const { ondato, activities, beats, run } = setup();
    ondato.createFailure = new OndatoError('Ondato createIdentityVerification: HTTP 400', {
      kind: 'http',
      operation: 'createIdentityVerification',
      status: 400,
    });
    const failure = await failureOf(run(activities.createVerification, createInput));
    expect(failure.type).toBe(FailureType.OndatoRequestRejected);
    expect(beats.at(-1)).toMatchObject({ awaitingAnswer: false, createdIdvIds: [] });
  });

  it("refuses a created IDV that does not carry our reference (the answer is someone else's)", async () => {
    const { ondato, activities, run } = setup();
    ondato.createdReference = 'c-someone-else';
    const failure = await failureOf(run(activities.createVerification, createInput));
    expect({ type: failure.type, nonRetryable: failure.nonRetryable }).toEqual({
      type: FailureType.OndatoIdMismatch,
      nonRetryable: true,
    });
  });
});

describe('id checks on Ondato answers', () => {
  function withKyc(kyc: Partial<KycIdentification>) {
    const context = setup();
    context.ondato.kycs.set('kyc-1', {
      id: 'kyc-1',
      status: 'Approved',
      identityVerificationId: 'idv-1',
      externalReferenceId: CUSTOMER,
      ...kyc,
    });
    return context;
  }
  const expected = { customerId: CUSTOMER, idvId: 'idv-1', kycId: 'kyc-1' };

  it('accepts an identification whose ids are the run’s (absent optional ids are not held against it)', async () => {
    for (const kyc of [{}, { identityVerificationId: null, externalReferenceId: null }]) {
      const { activities, run } = withKyc(kyc);
      await expect(run(activities.getIdentification, 'kyc-1', expected)).resolves.toMatchObject({
        kycId: 'kyc-1',
      });
    }
  });

  it.each([
    ['id', { id: 'kyc-2' }],
    ['identityVerificationId', { identityVerificationId: 'idv-2' }],
    ['externalReferenceId', { externalReferenceId: 'c-2' }],
  ])('refuses an identification whose %s is not the run’s', async (field, kyc) => {
    const { activities, run } = withKyc(kyc);
    const failure = await failureOf(run(activities.getIdentification, 'kyc-1', expected));
    expect({
      type: failure.type,
      nonRetryable: failure.nonRetryable,
      field: (failure.details?.[0] as { field: string }).field,
    }).toEqual({
      type: FailureType.OndatoIdMismatch,
      nonRetryable: true,
      field,
    });
  });

  it.each([
    ['id', { id: 'idv-2' }],
    ['externalReferenceId', { externalReferenceId: 'c-2' }],
    ['step.kycIdentification.id', { step: { kycIdentification: { id: 'kyc-2' } } }],
  ])('refuses an IDV whose %s is not the run’s', async (field, idv) => {
    const { ondato, activities, run } = setup();
    ondato.idvs.set('idv-1', { id: 'idv-1', status: 'Completed', externalReferenceId: CUSTOMER, ...idv });
    const failure = await failureOf(run(activities.getVerification, 'idv-1', expected));
    expect({ type: failure.type, field: (failure.details?.[0] as { field: string }).field }).toEqual({
      type: FailureType.OndatoIdMismatch,
      field,
    });
  });
});

describe('redactExtraVerification', () => {
  const input = { idvId: 'idv-9', customerId: CUSTOMER, currentIdvId: 'idv-1', createdAfter: RUN_STARTED };

  it.each([
    ['current_verification', {}, { ...input, idvId: 'idv-1' }],
    ['not_this_customer', { externalReferenceId: 'c-2' }, input],
    ['older_than_run', { createdUtc: '2026-11-29T09:59:00Z' }, input],
    ['has_identification', { step: { kycIdentification: { id: 'kyc-9' } } }, input],
  ])('leaves it alone when %s', async (note, idv, request) => {
    const { ondato, activities, run } = setup();
    ondato.addIdv({ id: 'idv-9', ...idv });
    ondato.addIdv({ id: 'idv-1' });
    await expect(run(activities.redactExtraVerification, request)).resolves.toEqual({
      disposition: 'ignored',
      note,
    });
    expect(ondato.redacted).toEqual([]);
  });

  it('redacts an open IDV of this customer created during the run', async () => {
    const { ondato, activities, run } = setup();
    ondato.addIdv({ id: 'idv-9' });
    await expect(run(activities.redactExtraVerification, input)).resolves.toEqual({
      disposition: 'redaction_requested',
    });
    expect(ondato.redacted).toEqual(['idv-9']);
  });

  it('treats an IDV Ondato no longer has as gone', async () => {
    const { activities, run } = setup();
    await expect(run(activities.redactExtraVerification, input)).resolves.toEqual({
      disposition: 'ignored',
      note: 'not_found',
    });
  });
});
