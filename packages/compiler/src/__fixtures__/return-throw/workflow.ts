import { workflow } from "@stepline/core";
import { body, type FixtureInput, flag, type Vocabulary } from "../fixture-kit.js";

export const vocabulary: Vocabulary = { steps: ["check", "approve"], flags: ["blocked", "skip"] };

/** return is a Succeed state, throw a Fail state. */
export const approve = workflow("approve", async (ctx, input: FixtureInput) => {
  await ctx.step("check", body(input, "check"));
  if (flag(input, "blocked")) throw new Error("blocked");
  if (flag(input, "skip")) return "skipped";
  await ctx.step("approve", body(input, "approve"));
  return "approved";
});
