import { workflow } from "@stepline/core";
import { body, type FixtureInput, flag, type Vocabulary } from "../fixture-kit.js";

export const vocabulary: Vocabulary = {
  steps: ["score", "express", "standard", "bulk", "audit"],
  flags: ["vip", "rush"],
};

/** if / else if / else around operations: one Choice, an edge per condition. */
export const ifElse = workflow("ifElse", async (ctx, input: FixtureInput) => {
  await ctx.step("score", body(input, "score"));
  if (flag(input, "vip")) {
    await ctx.step("express", body(input, "express"));
  } else if ((input.count ?? 0) > 2) {
    await ctx.step("bulk", body(input, "bulk"));
  } else {
    await ctx.step("standard", body(input, "standard"));
  }
  if (flag(input, "rush")) await ctx.step("audit", body(input, "audit"));
  return "done";
});
