import { TimeoutError, workflow } from "@stepline/core";
import { body, type FixtureInput, type Vocabulary } from "../fixture-kit.js";

export const vocabulary: Vocabulary = {
  steps: ["activate", "remind", "close"],
  events: ["confirmed", "second-try"],
};

/** waitForEvent: a callback-token Task with TimeoutSeconds; a timeout is an error a try can catch. */
export const confirmSignup = workflow("confirmSignup", async (ctx, input: FixtureInput) => {
  try {
    await ctx.waitForEvent<boolean>("confirmed", { timeout: "1d" });
    await ctx.step("activate", body(input, "activate"));
  } catch (error) {
    if (!TimeoutError.is(error)) throw error;
    await ctx.step("remind", body(input, "remind"));
    await ctx.waitForEvent("second-try", { timeout: "2d" });
  }
  await ctx.step("close", body(input, "close"));
});
