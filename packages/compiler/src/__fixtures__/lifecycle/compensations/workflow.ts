import { workflow } from "@stepline/core";
import { body, type FixtureInput } from "../../fixture-kit.js";

/** A saga: the undo steps run in reverse order of registration on the Catch path. */
export const bookTrip = workflow("bookTrip", async (ctx, input: FixtureInput) => {
  const saga = ctx.compensations();
  try {
    await ctx.step("reserve-flight", body(input, "reserve-flight"));
    saga.add("cancel-flight", body(input, "cancel-flight"));
    await ctx.step("reserve-hotel", body(input, "reserve-hotel"));
    saga.add("cancel-hotel", body(input, "cancel-hotel"), { retry: { maxAttempts: 5 } });
    await ctx.waitForEvent("confirmed", { timeout: "1d" });
    await ctx.sleep("hold", "1h");
    await ctx.step("charge", body(input, "charge"));
  } catch (error) {
    await saga.run();
    throw error;
  }
});

/** In a finally, with continueOnError: every undo step is tried, and run() throws if one failed. */
export const cleanUp = workflow("cleanUp", async (ctx, input: FixtureInput) => {
  const undo = ctx.compensations();
  try {
    await ctx.step("create-bucket", body(input, "create-bucket"));
    undo.add("delete-bucket", body(input, "delete-bucket"));
    await ctx.step("create-queue", body(input, "create-queue"));
    undo.add("delete-queue", body(input, "delete-queue"));
  } finally {
    await undo.run({ continueOnError: true });
  }
});
