import { type WorkflowDefinition, workflow } from "@stepline/core";

const welcome = workflow("welcome", async (ctx, _input: null) => {
  await ctx.step("mail", () => 1);
});

/** Which child runs is decided at run time. */
function childFor(_plan: string): WorkflowDefinition<null, void> {
  return welcome;
}

/** Refused: the child's name is not known, so no state is named after a variable. */
export const childUnknown = workflow("childUnknown", async (ctx, input: { plan: string }) => {
  await ctx.child(childFor(input.plan), null);
});
