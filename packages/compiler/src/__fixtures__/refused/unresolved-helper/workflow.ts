import { type WorkflowContext, workflow } from "@stepline/core";

type Helper = (ctx: WorkflowContext) => Promise<void>;

/** The helper is chosen at run time: the compiler cannot know which body runs. */
function pickHelper(fast: boolean): Helper {
  return fast ? async () => {} : async (c) => void (await c.step("charge", () => 1));
}

/** Refused: a helper held in a variable computed at run time is not one the compiler can find. */
export const unresolvedHelper = workflow("unresolvedHelper", async (ctx, input: { fast: boolean }) => {
  const charge = pickHelper(input.fast);
  await charge(ctx);
});
