/**
 * Continue-as-new under signal pressure. Temporal caps signals per run (10,000 by default) and every webhook is
 * one, so a waiting run that took more signals than its budget (or whose history Temporal finds long) hands over
 * to a new run of the same workflow id. The handover carries the state, the wait's deadline as an instant and
 * the most recent delivery ids; callers find runs by workflow id and see no change. Deterministic workflow code.
 */
import {
  allHandlersFinished,
  condition,
  log,
  makeContinueAsNewFunc,
  patched,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import {
  CustomerIdKey,
  DEFAULT_SIGNAL_BUDGET,
  KycStatusKey,
  OndatoIdvIdKey,
  OutcomeKey,
  RUN_MEMO_KEYS,
  type ContinuedRun,
  type DecisionRecord,
  type OnboardingInput,
  type OnboardingState,
  type WaitingStage,
} from '../contract';
import type { RunInbox } from './inbox';
import type { PatchCheck } from './patches';

/** `patched()` id: runs recorded before this never continued as new. */
const CONTINUE_AS_NEW_WHEN_BUSY = 'continue-as-new-when-busy';

/** Delivery ids a continuation carries: enough to recognise redeliveries of the last burst, bounded. */
const CARRIED_DELIVERY_IDS = 500;

export interface ContinuationDeps {
  input: OnboardingInput;
  state: OnboardingState;
  inbox: RunInbox;
}

export class Continuation {
  private readonly signalBudget: number;

  constructor(private readonly deps: ContinuationDeps) {
    this.signalBudget = deps.input.signalBudget ?? DEFAULT_SIGNAL_BUDGET;
  }

  /** Whether this run may continue as new (false while replaying histories from before it could). */
  static enabled(released: PatchCheck = patched): boolean {
    return released(CONTINUE_AS_NEW_WHEN_BUSY);
  }

  /** Many signals in this run, or Temporal says the history is long: time to continue as new. */
  get due(): boolean {
    return this.deps.inbox.signalsThisRun >= this.signalBudget || workflowInfo().continueAsNewSuggested;
  }

  /**
   * Continues as new from `stage` (throws Temporal's ContinueAsNew), once every handler has finished. An ops
   * review that is waiting for the run to take it goes first: then this returns without continuing.
   */
  async continueFrom(stage: WaitingStage, deadlineAt: number): Promise<void> {
    const { input, state, inbox } = this.deps;
    await condition(() => allHandlersFinished() || inbox.review !== undefined);
    if (!allHandlersFinished()) return;
    const generation = (state.continuedRuns ?? 0) + 1;
    log.info('continuing as new', { stage, signals: inbox.signalsThisRun, generation });
    const continued: ContinuedRun = {
      stage,
      state: { ...state, continuedRuns: generation },
      deadlineAt: new Date(deadlineAt).toISOString(),
      seenDeliveryIds: inbox.recentDeliveryIds(CARRIED_DELIVERY_IDS),
      generation,
    };
    // Memo and search attributes go along, so readers see the run's link and stage before its first task.
    const { memo, typedSearchAttributes } = workflowInfo();
    await makeContinueAsNewFunc<(input: OnboardingInput) => Promise<DecisionRecord>>({
      memo,
      typedSearchAttributes,
    })({ ...input, continued });
  }

  /** In the new run: the earlier run's state back in place, its search attributes and memo as they were. */
  restore(continued: ContinuedRun): void {
    const { input, state, inbox } = this.deps;
    Object.assign(state, continued.state);
    inbox.rememberDeliveries(continued.seenDeliveryIds);
    upsertSearchAttributes([
      { key: CustomerIdKey, value: input.customerId },
      ...(state.idvId ? [{ key: OndatoIdvIdKey, value: state.idvId }] : []),
      ...(state.kycStatus ? [{ key: KycStatusKey, value: state.kycStatus }] : []),
      ...(state.outcome ? [{ key: OutcomeKey, value: state.outcome }] : []),
    ]);
    upsertMemo({
      [RUN_MEMO_KEYS.customerId]: input.customerId,
      [RUN_MEMO_KEYS.idvId]: state.idvId ?? null,
      [RUN_MEMO_KEYS.customerUrl]: state.customerUrl ?? null,
      [RUN_MEMO_KEYS.kycId]: state.kycId ?? null,
      ...(state.extraVerifications
        ? { [RUN_MEMO_KEYS.extraVerifications]: state.extraVerifications.length }
        : {}),
    });
  }
}
