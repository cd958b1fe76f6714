import { workflow } from "@stepline/core";

const names = { main: "computed" };

/** Refused: the workflow's name is not a literal. */
export const computedName = workflow(names.main, async (ctx, _input: null) => {
  await ctx.step("a", () => 1);
});
