import { workflow } from "@stepline/core";

/**
 * Refused: undo closures run in registration order, and popped off by hand. Drawing
 * nothing would hide the undo path; the reversed loop is drawn (fixture undo-closures).
 */
export const undoOrder = workflow("undoOrder", async (ctx, _input: null) => {
  const undo: Array<() => Promise<unknown>> = [];
  try {
    await ctx.step("reserve", () => 1);
    undo.push(() => ctx.step("release", () => 1));
    await ctx.step("charge", () => 2);
    undo.push(() => ctx.step("refund", () => 2));
  } catch (error) {
    for (const step of undo) await step();
    throw error;
  }
  try {
    await ctx.step("ship", () => 3);
  } catch {
    while (undo.length > 0) await undo.pop()?.();
  }
});
