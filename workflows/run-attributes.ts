/**
 * The run's search attributes and memo as readers see them. Each upsert is a command and a history event (and
 * a visibility write on the server); a lean run batches the changes of one workflow task into one upsert of
 * each kind, sent once the task's code has run. Runs recorded before that upsert at once, as they ran.
 * Deterministic workflow code.
 */
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { CancellationScope, condition, upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';

export class RunAttributes {
  private searchAttributes = new Map<string, SearchAttributeUpdatePair>();
  private memo: Record<string, unknown> = {};
  private flushScheduled = false;

  /** `batched`: the run records the lean history. */
  constructor(private readonly batched: boolean) {}

  search(pairs: SearchAttributeUpdatePair[]): void {
    if (!this.batched) {
      upsertSearchAttributes(pairs);
      return;
    }
    for (const pair of pairs) this.searchAttributes.set(pair.key.name, pair);
    this.scheduleFlush();
  }

  setMemo(fields: Record<string, unknown>): void {
    if (!this.batched) {
      upsertMemo(fields);
      return;
    }
    Object.assign(this.memo, fields);
    this.scheduleFlush();
  }

  /** Sends what is pending now (before the run completes, fails or continues as new). */
  flush(): void {
    this.flushScheduled = false;
    if (this.searchAttributes.size > 0) upsertSearchAttributes([...this.searchAttributes.values()]);
    if (Object.keys(this.memo).length > 0) upsertMemo(this.memo);
    this.searchAttributes = new Map();
    this.memo = {};
  }

  /**
   * Once every coroutine of this workflow task is blocked: the SDK evaluates blocked conditions after the
   * task's jobs and their microtasks have run, so the upserts join that task's commands. The eager evaluation
   * at creation (the task's code still running) says not yet. Non-cancellable, so a cancelled run still sends.
   */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    let created = false;
    void CancellationScope.nonCancellable(() =>
      condition(() => {
        if (!created) return false;
        if (this.flushScheduled) this.flush();
        return true;
      }),
    );
    created = true;
  }
}
