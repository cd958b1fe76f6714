import { workflow } from "@stepline/core";
import { body, type FixtureInput, type Vocabulary } from "../fixture-kit.js";

export const vocabulary: Vocabulary = { steps: ["lock", "debit", "credit", "refund", "unlock", "log"] };

/** try/catch/finally: a Catch on every state in the try; finally on every way out. */
export const transfer = workflow("transfer", async (ctx, input: FixtureInput) => {
  await ctx.step("lock", body(input, "lock"));
  try {
    await ctx.step("debit", body(input, "debit"));
    await ctx.step("credit", body(input, "credit"));
  } catch (error) {
    await ctx.step("refund", body(input, "refund"));
    throw error;
  } finally {
    await ctx.step("unlock", body(input, "unlock"));
  }
  try {
    await ctx.step("log", body(input, "log"));
  } catch {
    // Logging is best effort.
  }
});
