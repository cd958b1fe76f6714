import { workflow } from "@stepline/core";

/** The benchmark's workflow: ten steps, each a trivial body, so the figures are the engine's and the store's cost. */
export const STEPS = 10;

export const tenSteps = workflow("bench-ten-steps", async (ctx, input: { n: number }) => {
  let total = input.n;
  for (let i = 0; i < STEPS; i++) total = await ctx.step(`step-${i}`, () => total + 1);
  return total;
});
