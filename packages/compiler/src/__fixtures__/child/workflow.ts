import { workflow } from "@stepline/core";
import { body, type FixtureInput, type Vocabulary } from "../fixture-kit.js";

export const vocabulary: Vocabulary = { steps: ["prepare", "pack", "finish"] };

export const packOrder = workflow("packOrder", async (ctx, input: FixtureInput) => {
  return ctx.step("pack", body(input, "pack"));
});

/** ctx.child: a Task that starts the child workflow's execution and waits for it (startExecution.sync). */
export const shipOrder = workflow("shipOrder", async (ctx, input: FixtureInput) => {
  await ctx.step("prepare", body(input, "prepare"));
  try {
    await ctx.child(packOrder, input);
  } catch {
    await ctx.step("finish", body(input, "finish"));
  }
});
