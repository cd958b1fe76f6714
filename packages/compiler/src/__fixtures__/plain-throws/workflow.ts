import { workflow } from "@stepline/core";
import { body, type FixtureInput, flag, type Vocabulary } from "../fixture-kit.js";

export const vocabulary: Vocabulary = {
  steps: ["load", "charge", "refund", "notify", "reject", "accept"],
  flags: ["invalid", "bad-json", "late-check"],
};

/** A validation helper: plain code that throws. */
function validate(input: FixtureInput): void {
  if (flag(input, "invalid")) throw new Error("invalid input");
}

/** Plain code that can throw through what it calls (JSON.parse). */
function parseReceipt(text: string): { ok: boolean } {
  return JSON.parse(text) as { ok: boolean };
}

/**
 * Plain code between operations that can throw: at the top level its error fails the
 * workflow (a Fail), inside a try it goes to the catch, which compensates. One "may
 * throw" Choice per stretch of plain code, not one per call.
 */
export const plainThrows = workflow("plainThrows", async (ctx, input: FixtureInput) => {
  validate(input);
  const loaded = await ctx.step("load", body(input, "load"));
  try {
    const text = flag(input, "bad-json") ? "{" : JSON.stringify({ ok: loaded === "load" });
    const receipt = parseReceipt(text);
    await ctx.step("charge", body(input, "charge"));
    if (!receipt.ok) throw new Error("not ok");
  } catch {
    await ctx.step("refund", body(input, "refund"));
  }
  // Right after charge or refund, with no operation between: the journal ends ExecutionFailed.
  if (flag(input, "late-check")) validate({ flags: ["invalid"] });
  await ctx.step("notify", body(input, "notify"));
});

/** A catch whose try runs no operation: reached when the plain code in the try throws. */
export const checkFirst = workflow("checkFirst", async (ctx, input: FixtureInput) => {
  try {
    validate(input);
  } catch {
    return ctx.step("reject", body(input, "reject"));
  }
  return ctx.step("accept", body(input, "accept"));
});
