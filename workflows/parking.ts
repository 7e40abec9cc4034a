/**
 * Parking: once the customer has a link, no failing step ends the run. The step's failure parks the run in
 * `needs_attention` (ids kept, reason recorded, the backend told), and the step runs again when ops resume it
 * (update or signal) or when the retry timer fires. Deterministic workflow code.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  isCancellation,
  upsertMemo,
} from '@temporalio/workflow';
import {
  RUN_MEMO_KEYS,
  type Attention,
  type OnboardingState,
  type ResumeInput,
  type Stage,
} from '../contract';
import type { PatchCheck } from './patches';

/** `patched()` id: runs recorded before parking existed failed here; their replays still do. */
const PARK_INSTEAD_OF_FAIL = 'park-instead-of-fail';

export interface ParkingDeps {
  state: OnboardingState;
  retryAfterMs: number;
  enterStage(stage: Stage): void;
  /** Tells the backend the run parked; must not wait for the backend (ops may resume meanwhile). */
  announce(attention: Attention): void;
  now(): string;
  released: PatchCheck;
}

/** Ondato's status and reason code from an activity failure's details (never its free text). */
function ondatoCodes(failure: ApplicationFailure): Pick<Attention, 'ondatoStatus' | 'ondatoReason'> {
  const detail: unknown = failure.details?.[0];
  if (typeof detail !== 'object' || detail === null) return {};
  const { status, reason } = detail as { status?: unknown; reason?: unknown };
  return {
    ondatoStatus: typeof status === 'number' ? status : undefined,
    ondatoReason: typeof reason === 'string' ? reason : undefined,
  };
}

export class Parking {
  private resumeRequest: ResumeInput | undefined;
  /** Shared by steps that fail together (parallel downloads): one park, one resume. */
  private parked: Promise<void> | undefined;

  constructor(private readonly deps: ParkingDeps) {}

  get isParked(): boolean {
    return this.deps.state.attention !== undefined;
  }

  /** From the resume update or signal; false when the run is not parked (nothing to resume). */
  requestResume(request: ResumeInput): boolean {
    if (!this.isParked || this.resumeRequest !== undefined) return false;
    this.resumeRequest = { requestedBy: request.requestedBy.trim(), note: request.note };
    return true;
  }

  /** Runs `call` as the step of `stage`; an activity that gives up parks the run and the step runs again. */
  async step<T>(stage: Stage, call: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        return await call();
      } catch (error) {
        if (isCancellation(error) || !(error instanceof ActivityFailure)) throw error;
        if (!this.deps.released(PARK_INSTEAD_OF_FAIL)) throw error;
        this.parked ??= this.park(stage, error).finally(() => {
          this.parked = undefined;
        });
        await this.parked;
      }
    }
  }

  private async park(step: Stage, error: ActivityFailure): Promise<void> {
    const { state } = this.deps;
    const failure = error.cause instanceof ApplicationFailure ? error.cause : undefined;
    const since = this.deps.now();
    const attention: Attention = {
      reason: failure?.type ?? 'ActivityFailure',
      step,
      message: failure?.message,
      ...(failure ? ondatoCodes(failure) : {}),
      since,
      retryAt: new Date(Date.parse(since) + this.deps.retryAfterMs).toISOString(),
    };
    state.attention = attention;
    state.lastError = `${error.activityType}: ${attention.reason}`;
    this.deps.enterStage('needs_attention');
    upsertMemo({ [RUN_MEMO_KEYS.attentionReason]: attention.reason });
    this.deps.announce(attention);

    const byOps = await condition(() => this.resumeRequest !== undefined, this.deps.retryAfterMs);
    const request = byOps ? this.resumeRequest : undefined;
    state.resumes = [
      ...(state.resumes ?? []),
      {
        requestedBy: request?.requestedBy ?? 'timer',
        note: request?.note,
        step,
        reason: attention.reason,
        at: this.deps.now(),
      },
    ];
    this.resumeRequest = undefined;
    state.attention = undefined;
    upsertMemo({ [RUN_MEMO_KEYS.attentionReason]: null });
    this.deps.enterStage(step);
  }
}
