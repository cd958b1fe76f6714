/**
 * A workflow with update handlers, for `stepline update` tests: a counter that adds
 * what each update brings, in a step, until told to stop.
 */
import { workflow } from "@stepline/core";

export const counter = workflow("updCounter", async (ctx) => {
  let total = 0;
  ctx.onUpdate(
    "add",
    async (n: number) => {
      total += await ctx.step("add", () => n);
      return total;
    },
    {
      validate: (n) => {
        if (typeof n !== "number" || n <= 0)
          throw new RangeError(`add takes a positive number, not ${JSON.stringify(n)}`);
      },
    },
  );
  await ctx.waitForEvent("stop");
  await ctx.allUpdatesFinished();
  return total;
});
