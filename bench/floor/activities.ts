/** The floor's activities do nothing: what remains is the cost of Temporal itself. */
export function createFloorActivities() {
  return {
    async noop(step: number): Promise<string> {
      return `step-${step}`;
    },
  };
}

export type FloorActivities = ReturnType<typeof createFloorActivities>;
