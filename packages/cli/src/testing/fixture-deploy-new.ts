/**
 * The code about to be deployed over fixture-deploy-old.ts (check-deploy.test.ts):
 * notify's change is guarded by ctx.patched (compatible; both claim v1 journals: compatibleVersions); approve renamed a step,
 * ship removed one, audit ends earlier and greet returns another output (each
 * incompatible with some journals of the old code); legacy is gone.
 */
import { workflow } from "@stepline/core";

export const notify = workflow(
  "notify",
  async (ctx, user: string) => {
    const profile = await ctx.step("load", () => ({ user }));
    if (ctx.patched("sms-instead-of-email")) {
      await ctx.step("sms", () => `sms to ${profile.user}`);
    } else {
      await ctx.step("email", () => `mail to ${profile.user}`);
    }
    await ctx.sleep("cool-off", "1h");
    await ctx.step("done", () => true);
    return "notified";
  },
  { version: 2, compatibleVersions: [1] },
);

export const approve = workflow(
  "approve",
  async (ctx, amount: number) => {
    await ctx.step("draft", () => amount);
    const approved = await ctx.waitForEvent<boolean>("decision");
    await ctx.step("record", () => approved);
    return approved;
  },
  { version: 2, compatibleVersions: [1] },
);

export const ship = workflow("ship", async (ctx, order: string) => {
  await ctx.step("pack", () => order);
  await ctx.sleep("transit", "1h");
  return "delivered";
});

export const audit = workflow("audit", async (ctx) => {
  await ctx.step("read", () => 1);
  return "audited";
});

export const greet = workflow("greet", async (ctx, name: string) => {
  const text = await ctx.step("compose", () => `Hello, ${name}`);
  return text.toUpperCase();
});
