import { workflow } from "@stepline/core";
import { body, type FixtureInput, flag, type Vocabulary } from "../fixture-kit.js";

export const vocabulary: Vocabulary = {
  steps: ["quote-fast", "quote-slow", "notify", "lookup", "default-rate"],
  flags: ["fast", "notify", "cached"],
};

/** `? :`, `&&`, `||` and `??` around operations: each is a Choice. */
export const ternaryGuards = workflow("ternaryGuards", async (ctx, input: FixtureInput) => {
  const quote = flag(input, "fast")
    ? await ctx.step("quote-fast", body(input, "quote-fast"))
    : await ctx.step("quote-slow", body(input, "quote-slow"));
  flag(input, "notify") && (await ctx.step("notify", body(input, "notify")));
  const cached = flag(input, "cached") || (await ctx.step("lookup", body(input, "lookup")));
  const rate = input.items?.[0] ?? (await ctx.step("default-rate", body(input, "default-rate")));
  return `${quote} ${cached} ${rate}`;
});
