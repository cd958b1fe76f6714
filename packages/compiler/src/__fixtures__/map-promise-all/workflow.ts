import { workflow } from "@stepline/core";
import { body, type FixtureInput, type Vocabulary } from "../fixture-kit.js";

export const vocabulary: Vocabulary = { steps: ["resize", "thumb", "publish"] };

/** Promise.all(items.map(async (item) => ...)): a Map state with every item at once. */
export const resizeAll = workflow("resizeAll", async (ctx, input: FixtureInput) => {
  await Promise.all(
    (input.items ?? []).map(async (item, index) => {
      await ctx.step(`resize-${item}-${index}`, body(input, "resize"));
      await ctx.step(`thumb-${item}-${index}`, body(input, "thumb"));
    }),
  );
  await ctx.step("publish", body(input, "publish"));
});
