import { type WorkflowContext, workflow } from "@stepline/core";

const helpers = {
  async charge(ctx: WorkflowContext) {
    await ctx.step("charge", () => 1);
  },
};

/** Refused: a method of an object is not a helper the compiler can find. */
export const unresolvedHelper = workflow("unresolvedHelper", async (ctx, _input: null) => {
  await helpers.charge(ctx);
});
