import { workflow } from "@stepline/core";
import { body, type FixtureInput } from "../../fixture-kit.js";

/**
 * A catch reached only by cancelling a sleep: the cancellation raises CancelledError
 * at the sleep, and the handler releases the hold before the execution ends
 * cancelled. In ASL the Wait sits in a one-branch Parallel, whose Catch is that path.
 */
export const coolOff = workflow("coolOff", async (ctx, input: FixtureInput) => {
  await ctx.step("place-hold", body(input, "place-hold"));
  try {
    await ctx.sleep("cool-off", "1h");
  } catch (error) {
    await ctx.step("release-hold", body(input, "release-hold"));
    throw error;
  }
  await ctx.step("ship", body(input, "ship"));
});
