import { workflow } from "@stepline/core";

/** Refused: the context is stored under another name, so the compiler loses track of it. */
export const contextAlias = workflow("contextAlias", async (ctx, _input: null) => {
  const context = ctx;
  await context.step("hidden", () => 1);
});
