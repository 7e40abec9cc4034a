/**
 * The floor the service is compared with: the onboarding's shape (as many activities, one after the other,
 * a link update answered after the first, one signal to wait for) with no work in it. Deterministic code only.
 */
import { condition, proxyActivities, setHandler } from '@temporalio/workflow';
import type { FloorActivities } from './activities';
import { floorFinishSignal, floorLinkUpdate, type FloorInput } from './messages';

const { noop } = proxyActivities<FloorActivities>({ startToCloseTimeout: '1 minute' });

export async function floorWorkflow(input: FloorInput): Promise<number> {
  let link: string | undefined;
  let finished = false;
  setHandler(floorFinishSignal, () => {
    finished = true;
  });
  setHandler(floorLinkUpdate, async () => {
    await condition(() => link !== undefined);
    return link as string;
  });

  let step = 0;
  for (; step < input.activitiesBeforeSignal; step += 1) {
    const result = await noop(step);
    link ??= result;
  }
  await condition(() => finished);
  for (; step < input.activitiesBeforeSignal + input.activitiesAfterSignal; step += 1) await noop(step);
  return step;
}
