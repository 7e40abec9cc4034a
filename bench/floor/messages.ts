/** The floor workflow's messages, shared by the workflow and the benchmark that drives it. */
import { defineSignal, defineUpdate } from '@temporalio/workflow';

export const FLOOR_WORKFLOW_TYPE = 'floorWorkflow';

export interface FloorInput {
  /** No-op activities before the wait; the first one stands for "create the verification". */
  activitiesBeforeSignal: number;
  /** No-op activities after the signal (fetch results, store documents, notify). */
  activitiesAfterSignal: number;
}

/** Stands for "the customer finished": the one signal the run waits for. */
export const floorFinishSignal = defineSignal<[{ deliveryId: string }]>('finish');

/** Stands for the customer-link update of update-with-start: answers once the first activity is done. */
export const floorLinkUpdate = defineUpdate<string>('link');

/**
 * The onboarding's shape on the happy path (create, first look at the IDV | signal | look again, fetch the
 * identification, store three files, notify). The e2e scenario measures the real shape from histories and
 * uses that; the other scenarios use this.
 */
export const ONBOARDING_SHAPE: FloorInput = { activitiesBeforeSignal: 2, activitiesAfterSignal: 6 };
