/**
 * The run's view of its `patched()` changes. Every `patched()` that returns true records a marker event, and a
 * run used to record one per change. Runs that record `lean-history` take every earlier change with that one
 * marker; runs recorded before it ask each change's own `patched()` where they always did, so they replay as
 * they ran. Deterministic workflow code.
 */
import { patched } from '@temporalio/workflow';

/**
 * `patched()` id of the lean history: every earlier change on without its own marker, search-attribute and
 * memo upserts batched per workflow task, and no Ondato fetch that a webhook's status makes pointless.
 */
export const LEAN_HISTORY = 'lean-history';

/** Whether the change behind `patched(id)` is on in this run. */
export type PatchCheck = (id: string) => boolean;

export interface RunPatches {
  /** The run records `lean-history`. */
  lean: boolean;
  released: PatchCheck;
}

/** Call once, first thing in the run, so the marker comes before every other command. */
export function runPatches(): RunPatches {
  const lean = patched(LEAN_HISTORY);
  return { lean, released: (id) => lean || patched(id) };
}
