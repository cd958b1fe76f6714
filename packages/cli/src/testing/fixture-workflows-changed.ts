/**
 * fixture-workflows.ts after a careless edit: `greet` renamed its first step from
 * "compose" to "draft". Replaying a journal of the old `greet` against this must
 * diverge at op 0.
 */
import { workflow } from "@stepline/core";

export const greet = workflow("greet", async (ctx, name: string) => {
  const text = await ctx.step("draft", () => `Hello, ${name}`);
  await ctx.sleep("pause", "20ms");
  const receipt = await ctx.step("deliver", () => ({ delivered: text, bytes: text.length }));
  return { text, receipt };
});
