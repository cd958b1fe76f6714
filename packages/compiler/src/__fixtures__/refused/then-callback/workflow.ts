import { workflow } from "@stepline/core";

/** Refused: an operation in a .then callback runs when the promise settles, out of the compiler's sight. */
export const thenCallback = workflow("thenCallback", async (ctx, _input: null) => {
  await ctx.step("first", () => 1).then((n) => ctx.step("second", () => n + 1));
});
