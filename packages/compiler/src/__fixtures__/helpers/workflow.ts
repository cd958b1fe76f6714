import { type WorkflowContext, workflow } from "@stepline/core";
import { body, type FixtureInput, type Vocabulary } from "../fixture-kit.js";
import { notifyAll } from "./helpers.js";

export const vocabulary: Vocabulary = {
  steps: ["charge", "capture", "email", "sms"],
  flags: ["sms", "capture"],
};

/** A helper of this file: its body is inlined where it is called; its return goes on after the call. */
async function chargeAndCapture(ctx: WorkflowContext, input: FixtureInput): Promise<string> {
  const charge = await ctx.step("charge", body(input, "charge"));
  if (!input.flags?.includes("capture")) return charge;
  return ctx.step("capture", body(input, "capture"));
}

/** Calls to helpers that take ctx, local and imported, are inlined. */
export const checkout = workflow("checkout", async (ctx, input: FixtureInput) => {
  const receipt = await chargeAndCapture(ctx, input);
  await notifyAll(ctx, input);
  return receipt;
});
