/**
 * Defence in depth against another customer's data: Ondato (or a proxy or cache in between) answers a run's
 * request with another session's IDV or identification. Every id in the answer is checked against the run's
 * (IDV ↔ its KYC identification ↔ our externalReferenceId); a mismatch parks the run for ops instead of deciding,
 * and nothing is stored under the wrong customer. Real dev server, real activities, the simulator's
 * `substitute` fault.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import {
  FailureType,
  getStateQuery,
  resumeUpdate,
  type OnboardingState,
  type OnboardingWorkflow,
} from '../../contract';
import type { FaultRoute } from '../../simulator/control-schemas';
import { recordHistoryIfAsked } from '../helpers/histories';
import { createOnboardingTestEnv, type OnboardingTestEnv } from '../helpers/onboarding-env';
import { waitFor } from '../helpers/wait-for';

jest.setTimeout(90_000);

describe("another session's answer", () => {
  let env: OnboardingTestEnv;
  /** Customer B's finished verification, whose resources the fault hands to customer A's run. */
  let other: { idvId: string; kycId: string };

  beforeAll(async () => {
    env = await createOnboardingTestEnv();
    const { link, handle } = await env.start({});
    const completed = await env.control.complete(link.idvId as string, { outcome: 'approved' });
    expect((await handle.result()).outcome).toBe('approved');
    other = { idvId: completed.idvId, kycId: completed.kycId as string };
  });
  afterAll(async () => {
    await env?.close();
  });
  afterEach(async () => {
    await env.control.clearFaults();
    await env.control.setWebhooks({ drop: false });
  });

  /** The run's state once it parked, or once it closed (which is the failure this test exists for). */
  async function parkedOrClosed(
    handle: { query: (q: typeof getStateQuery) => Promise<OnboardingState> },
    closed: Promise<unknown>,
  ): Promise<OnboardingState> {
    let done = false;
    void closed.finally(() => (done = true)).catch(() => undefined);
    return waitFor(async () => {
      const state = await handle.query(getStateQuery);
      return state.stage === 'needs_attention' || done ? state : undefined;
    });
  }

  const cases: Array<[FaultRoute, 'awaiting_customer' | 'fetching_results']> = [
    ['getIdv', 'awaiting_customer'],
    ['getKyc', 'fetching_results'],
  ];

  it.each(cases)(
    'a %s answer for another session parks the run (%s) and stores nothing; resumed, it decides on its own data',
    async (route, step) => {
      // A webhook saying Completed spares the IDV fetch: without webhooks the run polls the IDV and meets the fault.
      if (route === 'getIdv') await env.control.setWebhooks({ drop: true });
      const { link, handle, customerId } = await env.start({
        timeouts: { parkedRetryMs: 600_000, ...(route === 'getIdv' ? { pollIntervalMs: 300 } : {}) },
      });
      await env.control.setFault({
        route,
        mode: 'substitute',
        substituteId: route === 'getIdv' ? other.idvId : other.kycId,
      });
      const own = await env.control.complete(link.idvId as string, { outcome: 'approved' });

      const state = await parkedOrClosed(handle, handle.result());
      expect(state.stage).toBe('needs_attention');
      expect(state.outcome).toBeUndefined();
      expect(state.attention).toMatchObject({ reason: FailureType.OndatoIdMismatch, step });
      // Nothing of B's was taken: not its KYC id, not its documents.
      expect(state.kycId === undefined || state.kycId === own.kycId).toBe(true);
      expect(state.documents).toEqual([]);
      const customerDir = path.join(env.documentsDir, customerId);
      expect(existsSync(customerDir) ? readdirSync(customerDir, { recursive: true }) : []).toEqual([]);
      const notice = await waitFor(async () =>
        env.callbacks
          .forCustomer(customerId)
          .find((callback) => callback.event.type === 'onboarding.needs_attention'),
      );
      expect(notice.event.attention).toEqual({ reason: FailureType.OndatoIdMismatch, step });

      // Ops find the mix-up fixed and resume: the run decides on its own verification.
      await env.control.clearFaults();
      await env.client.workflow
        .getHandle<OnboardingWorkflow>(handle.workflowId)
        .executeUpdate(resumeUpdate, { args: [{ requestedBy: 'ops-7' }] });
      const record = await handle.result();
      expect(record.outcome).toBe('approved');
      expect(record.idvId).toBe(link.idvId);
      expect(record.kycId).toBe(own.kycId);
      expect(record.documents.length).toBeGreaterThan(0);
      for (const document of record.documents) {
        expect(document.key.startsWith(`${customerId}/${own.kycId}/`)).toBe(true);
      }
      if (route === 'getKyc') await recordHistoryIfAsked('id-mismatch-parked-then-resumed', handle);
    },
  );
});
