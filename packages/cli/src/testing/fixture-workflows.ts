/**
 * Workflows the CLI tests run for real: one that succeeds, one that fails after
 * retries, one that waits for an event. Also the module `replay-check` and
 * `start --module` load in the tests.
 */
import { workflow } from "@stepline/core";

export const greet = workflow("greet", async (ctx, name: string) => {
  const text = await ctx.step("compose", () => `Hello, ${name}`);
  await ctx.sleep("pause", "20ms");
  const receipt = await ctx.step("deliver", () => ({ delivered: text, bytes: text.length }));
  return { text, receipt };
});

export const flaky = workflow("flaky", async (ctx, order: { id: string }) => {
  await ctx.step("reserve", () => ({ hold: `hold-${order.id}` }));
  await ctx.step(
    "charge",
    () => {
      throw new Error("card declined");
    },
    { retry: { maxAttempts: 3, initialInterval: "10ms", backoffRate: 1 } },
  );
  return "unreachable";
});

export const approval = workflow("approval", async (ctx, request: { amount: number }) => {
  await ctx.step("prepare", () => ({ amount: request.amount }));
  const approved = await ctx.waitForEvent<boolean>("approve");
  const decision = await ctx.step("finish", () => (approved ? "approved" : "rejected"));
  return { decision };
});
