import { workflow } from "@stepline/core";
import { body, type FixtureInput, type Vocabulary } from "../fixture-kit.js";

export const vocabulary: Vocabulary = { steps: ["route-a", "route-b", "fallback", "close"] };

/** switch: a Choice with a rule per case; a case without break falls through. */
export const switchCases = workflow("switchCases", async (ctx, input: FixtureInput) => {
  switch (input.kind) {
    case "a":
      await ctx.step("route-a", body(input, "route-a"));
      break;
    // biome-ignore lint/suspicious/noFallthroughSwitchClause: the fixture shows a case falling through.
    case "b":
      await ctx.step("route-b", body(input, "route-b"));
    default:
      await ctx.step("fallback", body(input, "fallback"));
  }
  await ctx.step("close", body(input, "close"));
});
