import { workflow } from "@stepline/core";
import { body, type FixtureInput, type Vocabulary } from "../fixture-kit.js";

export const vocabulary: Vocabulary = {
  steps: [
    "reserve",
    "charge",
    "ship",
    "release",
    "refund",
    "create-user",
    "grant",
    "revoke",
    "delete-user",
    "welcome",
  ],
};

/**
 * Undo closures pushed as the work is done and run newest first on failure: the
 * Catch path goes through the undo steps registered so far, in reverse (as
 * ctx.compensations() and saga.run() are drawn).
 */
export const placeOrder = workflow("placeOrder", async (ctx, input: FixtureInput) => {
  const undo: Array<() => Promise<unknown>> = [];
  try {
    await ctx.step("reserve", body(input, "reserve"));
    undo.push(() => ctx.step("release", body(input, "release")));
    await ctx.step("charge", body(input, "charge"));
    undo.push(async () => {
      await ctx.step("refund", body(input, "refund"), { retry: { maxAttempts: 2 } });
    });
    await ctx.step("ship", body(input, "ship"));
  } catch (error) {
    for (const step of [...undo].reverse()) await step();
    throw error;
  }
});

/** The same with ctx.compensations(): saga.add(name, fn), saga.run(). */
export const onboard = workflow("onboard", async (ctx, input: FixtureInput) => {
  const saga = ctx.compensations();
  try {
    await ctx.step("create-user", body(input, "create-user"));
    saga.add("delete-user", body(input, "delete-user"));
    await ctx.step("grant", body(input, "grant"));
    saga.add("revoke", body(input, "revoke"));
    await ctx.step("welcome", body(input, "welcome"));
  } catch (error) {
    await saga.run();
    throw error;
  }
});
