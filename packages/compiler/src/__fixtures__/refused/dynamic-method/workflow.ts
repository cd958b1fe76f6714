import { workflow } from "@stepline/core";

/** Refused: the operation is picked at run time. */
export const dynamicMethod = workflow("dynamicMethod", async (ctx, input: { slow: boolean }) => {
  const method = input.slow ? ("sleep" as const) : ("sleep" as const);
  await ctx[method]("pause", "1s");
});
