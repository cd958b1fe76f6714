import { workflow } from "@stepline/core";

/** Refused: an operation inside a step body is not journaled as the workflow's own. */
export const stepBody = workflow("stepBody", async (ctx, _input: null) => {
  await ctx.step("outer", async () => {
    await ctx.sleep("inner", "1s");
    return 1;
  });
});
