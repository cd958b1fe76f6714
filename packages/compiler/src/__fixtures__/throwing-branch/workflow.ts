import { workflow } from "@stepline/core";
import { body, type FixtureInput, flag, type Vocabulary } from "../fixture-kit.js";

export const vocabulary: Vocabulary = { steps: ["ship", "audit"], flags: ["invalid", "late"] };

/**
 * Shrunk from counter-examples of the generated-program test: an async block of
 * Promise.all / race that runs no operation but may throw is a branch (its error
 * rejects the combinator before the other branch journals anything), and a loop around
 * a race that such a block wins leaves the losing sleep running on each pass.
 */
export const throwingBranch = workflow("throwing-branch", async (ctx, input: FixtureInput) => {
  await Promise.all([
    (async () => {
      if (flag(input, "invalid")) throw new Error("invalid order");
    })(),
    ctx.step("ship", body(input, "ship")),
  ]);
  for (const _item of input.items ?? []) {
    await Promise.race([
      (async () => {
        if (flag(input, "late")) throw new Error("too late");
      })(),
      ctx.sleep("grace", "1s"),
    ]);
  }
  await ctx.step("audit", body(input, "audit"));
});
