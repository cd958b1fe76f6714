import { workflow } from "@stepline/core";

/**
 * Refused: promises pushed into an array, then another operation before they are
 * awaited together: it runs alongside them, which the compiler does not draw. (Without
 * the step in between, this is a Map: fixture collected-promises.)
 */
export const promiseArray = workflow("promiseArray", async (ctx, input: { items: string[] }) => {
  const pending: Promise<string>[] = [];
  for (const item of input.items) pending.push(ctx.step(`send-${item}`, () => item));
  await ctx.step("between", () => "between");
  await Promise.all(pending);
});
