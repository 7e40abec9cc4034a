/**
 * A fresh customer link within the same run. When Ondato expires the session or the customer aborts it before
 * the run's customer deadline, a run given a relink grace (`timeouts.relinkGraceMs`) waits that long for the
 * product to ask for a new link (`relinkUpdate`) instead of ending at once; the run then creates a new IDV and
 * waits for the customer on it. Webhooks for the replaced IDV are ignored (it stays in `createdIdvIds`, so it is
 * ours, not an extra to redact). Deterministic workflow code.
 */
import { condition, setHandler } from '@temporalio/workflow';
import { relinkUpdate, type OnboardingState, type RelinkInput } from '../contract';
import { validateRequester } from './message-validation';
import type { PatchCheck } from './patches';

/** `patched()` id: runs recorded before fresh links ended at once when Ondato ended the session. */
const RELINK_SESSIONS = 'relink-sessions';

export interface RelinksDeps {
  state: OnboardingState;
  graceMs: number;
  released: PatchCheck;
  /** Set once the run failed for good: a waiting relink request answers then. */
  hasFailed(): boolean;
}

export class Relinks {
  private request: RelinkInput | undefined;

  constructor(private readonly deps: RelinksDeps) {}

  /** Registers the relink update. Call it before the run's first await. */
  register(): void {
    const { state } = this.deps;
    setHandler(
      relinkUpdate,
      async (request: RelinkInput) => {
        this.request = request;
        await condition(
          () =>
            this.deps.hasFailed() ||
            state.outcome !== undefined ||
            (state.relinks ?? []).some((relink) => relink.replacedIdvId === request.expiredIdvId),
        );
        return state;
      },
      {
        validator: (request: RelinkInput) => {
          validateRequester(request);
          if (typeof request.expiredIdvId !== 'string' || request.expiredIdvId === '') {
            throw new Error('the request names no verification to replace');
          }
          if (state.stage !== 'awaiting_customer' || state.relinkOpenUntil === undefined) {
            throw new Error(
              `the onboarding is not waiting for a fresh link (stage: ${state.stage}, Ondato IDV status: ${state.idvStatus ?? 'unknown'})`,
            );
          }
          if (request.expiredIdvId !== state.idvId) {
            throw new Error('the verification named was already replaced by a fresh link');
          }
          if (this.request !== undefined) throw new Error('a fresh link is already being created');
        },
      },
    );
  }

  /**
   * Ondato ended the current session: true when the product asked for a fresh link within the grace (never
   * past the customer deadline), false when the run should end as before. Only runs given a grace wait.
   */
  async awaitRequest(deadlineAt: number): Promise<RelinkInput | undefined> {
    const { state, graceMs } = this.deps;
    if (graceMs <= 0 || !this.deps.released(RELINK_SESSIONS)) return undefined;
    const until = Math.min(Date.now() + graceMs, deadlineAt);
    if (until <= Date.now()) return undefined;
    state.relinkOpenUntil = new Date(until).toISOString();
    const asked = await condition(() => this.request !== undefined, until - Date.now());
    state.relinkOpenUntil = undefined;
    return asked ? this.request : undefined;
  }

  /** The request was served (the new IDV is recorded): the next session end may ask again. */
  served(): void {
    this.request = undefined;
  }
}
