import { workflow } from "@stepline/core";
import { body, type FixtureInput, flag, type Vocabulary } from "../fixture-kit.js";

export const vocabulary: Vocabulary = {
  steps: ["charge", "ship", "refund", "notify", "audit"],
  flags: ["express", "manual"],
};

/**
 * Every way out of the try returns or throws, so the code "after the try" is never
 * reached: the finally runs before each return and on each error, and gets no copy
 * for falling off the end (that copy was unreachable, invalid ASL; issue 12).
 */
export const checkout = workflow("checkout", async (ctx, input: FixtureInput) => {
  try {
    await ctx.step("charge", body(input, "charge"));
    if (flag(input, "express")) return await ctx.step("ship", body(input, "ship"));
    throw new Error("manual shipping");
  } catch (error) {
    await ctx.step("refund", body(input, "refund"));
    throw error;
  } finally {
    await ctx.step("notify", body(input, "notify"));
  }
});

/** The same with no catch, nested in an outer try whose finally runs on each way out too. */
export const settle = workflow("settle", async (ctx, input: FixtureInput) => {
  try {
    try {
      if (flag(input, "manual")) throw new Error("manual");
      return await ctx.step("charge", body(input, "charge"));
    } finally {
      await ctx.step("notify", body(input, "notify"));
    }
  } finally {
    await ctx.step("audit", body(input, "audit"));
  }
});
