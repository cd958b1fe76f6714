import type { WorkflowContext } from "@stepline/core";
import { body, type FixtureInput } from "../fixture-kit.js";

/** A helper given its step's name: each call is the step its argument names. */
export async function runStep(ctx: WorkflowContext, name: string, input: FixtureInput): Promise<string> {
  return ctx.step(name, body(input, name));
}

/** Helpers as members of an object literal, re-exported through index.ts. */
export const notifications = {
  async email(ctx: WorkflowContext, input: FixtureInput): Promise<void> {
    await ctx.step("email", body(input, "email"));
  },
};
