import { workflow } from "@stepline/core";

/** Refused: the step name comes from the input, so the diagram cannot name the state. */
export const dynamicName = workflow("dynamicName", async (ctx, input: { task: string }) => {
  await ctx.step(input.task, () => 1);
});
