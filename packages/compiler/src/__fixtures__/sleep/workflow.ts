import { workflow } from "@stepline/core";
import { body, type FixtureInput, type Vocabulary } from "../fixture-kit.js";

export const vocabulary: Vocabulary = { steps: ["remind"] };

/** ctx.sleep and ctx.sleepUntil: Wait states, with Seconds when the duration is a literal. */
export const reminders = workflow("reminders", async (ctx, input: FixtureInput) => {
  await ctx.sleep("cool-off", "1h");
  await ctx.sleep("jitter", `${(input.count ?? 0) + 1}s`);
  await ctx.sleepUntil("next-morning", ctx.now() + 86_400_000);
  await ctx.step("remind", body(input, "remind"));
});
