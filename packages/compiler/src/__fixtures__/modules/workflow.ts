import { type WorkflowContext, workflow } from "@stepline/core";
import { body, type FixtureInput, flag, type Vocabulary } from "../fixture-kit.js";
import { notifications, runStep, welcomeFlow } from "./index.js";
import { RECEIPT, STEPS } from "./names.js";

// The child runs on the worker too (trace.test.ts registers every definition the fixture exports).
export { sendWelcome } from "./welcome.js";

export const vocabulary: Vocabulary = {
  steps: ["charge", "ship", "receipt", "email", "mail", "audit"],
  flags: ["welcome"],
};

/**
 * Workflows as static members of a class, and step names from constants of another
 * file, passed into a helper as an argument, and through an index module.
 */
// biome-ignore lint/complexity/noStaticOnlyClass: workflows as class statics are the pattern this fixture covers.
export class Orders {
  static place = workflow("orders.place", async (ctx, input: FixtureInput) => {
    await ctx.step(STEPS.charge, body(input, STEPS.charge));
    await runStep(ctx, STEPS.ship, input);
    await runStep(ctx, RECEIPT, input);
    // A template over the loop variable, passed to the helper: one state "pack-${item}".
    for (const item of input.items ?? []) await runStep(ctx, `pack-${item}`, input);
    if (flag(input, "welcome")) await ctx.child(welcomeFlow, input);
    await notifications.email(ctx, input);
  });

  /** A workflow function written as a static method, given to workflow(...) below. */
  static async ship(ctx: WorkflowContext, input: FixtureInput): Promise<string> {
    return ctx.step(STEPS.ship, body(input, STEPS.ship));
  }
}

export const shipOrder = workflow("orders.ship", Orders.ship);

/** Workflows as members of an object literal; a child named through another member. */
export const flows = {
  audit: workflow("flows.audit", async (ctx, input: FixtureInput) => {
    return runStep(ctx, "audit", input);
  }),
  signup: workflow("flows.signup", async (ctx, input: FixtureInput) => {
    try {
      await ctx.child(flows.audit, input);
    } catch {
      await runStep(ctx, "email", input);
    }
  }),
};
