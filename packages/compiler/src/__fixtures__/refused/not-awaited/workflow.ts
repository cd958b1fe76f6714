import { workflow } from "@stepline/core";

/** Refused: the step's promise is kept and awaited later, so it runs alongside "b". */
export const notAwaited = workflow("notAwaited", async (ctx, _input: null) => {
  const a = ctx.step("a", () => 1);
  await ctx.step("b", () => 2);
  return (await a) + 1;
});
