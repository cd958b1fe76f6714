import { workflow } from "@stepline/core";
import { body, type FixtureInput, type Vocabulary } from "../fixture-kit.js";

export const vocabulary: Vocabulary = { steps: ["parse Record<string, boolean>", "a#b<c>", "small"] };

/**
 * Labels with `<` and `>` (Mermaid reads them as HTML and drops them: this showed as
 * "parse Record") and a `#` inside a name, which is no occurrence number (issue 12).
 */
export const labels = workflow("labels", async (ctx, input: FixtureInput) => {
  await ctx.step("parse Record<string, boolean>", body(input, "parse Record<string, boolean>"));
  if ((input.count ?? 0) < 2) await ctx.step("small", body(input, "small"));
  await ctx.step("a#b<c>", body(input, "a#b<c>"));
  await ctx.step("a#b<c>", body(input, "a#b<c>"));
});
