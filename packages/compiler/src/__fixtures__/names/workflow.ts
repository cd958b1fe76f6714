import { workflow } from "@stepline/core";
import { body, type FixtureInput, type Vocabulary } from "../fixture-kit.js";

export const vocabulary: Vocabulary = { steps: ["a#b", "charge", "#1x"] };

/**
 * "#" inside names, and names used twice: the second "charge" is journaled as
 * "charge#2" and the second "a#b" as "a#b#2", by the step-identity rule core and the
 * compiler share.
 */
export const names = workflow("names", async (ctx, input: FixtureInput) => {
  await ctx.step("a#b", body(input, "a#b"));
  await ctx.step("charge", body(input, "charge"));
  await ctx.step("charge", body(input, "charge"));
  await ctx.sleep("#1x", "1s");
  await ctx.step("a#b", body(input, "a#b"));
  return "done";
});
