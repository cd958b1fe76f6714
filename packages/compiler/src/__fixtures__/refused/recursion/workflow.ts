import { type WorkflowContext, workflow } from "@stepline/core";

async function retryUntilDone(ctx: WorkflowContext, round: number): Promise<void> {
  const done = await ctx.step("poll", () => round > 3);
  if (!done) await retryUntilDone(ctx, round + 1);
}

/** Refused: a helper that calls itself would be an infinite machine. */
export const recursion = workflow("recursion", async (ctx, _input: null) => {
  await retryUntilDone(ctx, 0);
});
