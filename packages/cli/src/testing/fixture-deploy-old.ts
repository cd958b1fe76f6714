/**
 * The code in production before the deploy that check-deploy.test.ts gates: its
 * executions are left in flight (sleeping, waiting, blocked, running) and finished on a
 * store, and fixture-deploy-new.ts is the code about to be deployed.
 */
import { workflow } from "@stepline/core";

export const notify = workflow("notify", async (ctx, user: string) => {
  const profile = await ctx.step("load", () => ({ user }));
  await ctx.step("email", () => `mail to ${profile.user}`);
  await ctx.sleep("cool-off", "1h");
  await ctx.step("done", () => true);
  return "notified";
});

export const approve = workflow("approve", async (ctx, amount: number) => {
  await ctx.step("prepare", () => amount);
  const approved = await ctx.waitForEvent<boolean>("decision");
  await ctx.step("record", () => approved);
  return approved;
});

export const ship = workflow("ship", async (ctx, order: string) => {
  await ctx.step("pack", () => order);
  await ctx.step("label", () => `label-${order}`);
  await ctx.sleep("transit", "1h");
  return "delivered";
});

export const audit = workflow("audit", async (ctx) => {
  await ctx.step("read", () => 1);
  await ctx.step("write", () => 2);
  await ctx.waitForEvent("ack");
  return "audited";
});

export const greet = workflow("greet", async (ctx, name: string) => {
  const text = await ctx.step("compose", () => `Hello, ${name}`);
  return text;
});

export const legacy = workflow("legacy", async (ctx) => {
  await ctx.waitForEvent("never");
  return "gone";
});
