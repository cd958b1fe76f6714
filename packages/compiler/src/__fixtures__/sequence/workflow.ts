import { workflow } from "@stepline/core";
import { body, type FixtureInput, type Vocabulary } from "../fixture-kit.js";

export const vocabulary: Vocabulary = { steps: ["validate", "reserve", "charge"] };

/** Steps in sequence, one with a retry policy and a timeout. */
export const sequence = workflow("sequence", async (ctx, input: FixtureInput) => {
  await ctx.step("validate", body(input, "validate"));
  const hold = await ctx.step("reserve", body(input, "reserve"), {
    retry: { maxAttempts: 5, initialInterval: "2s", backoffRate: 3, maxInterval: "1m", jitter: "full" },
    timeout: "30s",
  });
  await ctx.step("charge", body(input, "charge"), { retry: { maxAttempts: 1 } });
  return hold;
});
