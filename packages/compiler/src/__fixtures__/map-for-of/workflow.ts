import { workflow } from "@stepline/core";
import { body, type FixtureInput, type Vocabulary } from "../fixture-kit.js";

export const vocabulary: Vocabulary = { steps: ["pack", "ship", "summary"] };

/** for...of with operations inside: a Map state, one iteration at a time, parameterised step names. */
export const packEach = workflow("packEach", async (ctx, input: FixtureInput) => {
  const items = input.items ?? [];
  for (const item of items) {
    await ctx.step(`pack-${item}`, body(input, "pack"));
    if (item === "c") continue;
    await ctx.step(`ship-${item}`, body(input, "ship"));
  }
  await ctx.step("summary", body(input, "summary"));
});
