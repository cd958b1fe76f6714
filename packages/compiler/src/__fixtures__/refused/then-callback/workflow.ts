import { workflow } from "@stepline/core";

/**
 * Refused: a .then callback passed by reference; the compiler draws callbacks written
 * inline (fixture promise-chains), not a function value it would have to chase.
 */
export const thenCallback = workflow("thenCallback", async (ctx, _input: null) => {
  const follow = (n: number) => ctx.step("second", () => n + 1);
  await ctx.step("first", () => 1).then(follow);
});
