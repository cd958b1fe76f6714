import { workflow } from "@stepline/core";
import { body, type FixtureInput } from "../../fixture-kit.js";

/** The items a map runs over are always given. */
export interface MapInput extends FixtureInput {
  items: string[];
}

/** ctx.map with a limit: a Map state with MaxConcurrency and ToleratedFailureCount. */
export const consolidate = workflow("consolidate", async (ctx, input: MapInput) => {
  const rows = await ctx.map(
    "fetch-sources",
    input.items,
    async (ctx, source, index) => {
      await ctx.step(`fetch-${source}`, body(input, `fetch-${source}`));
      return ctx.step(`clean-${source}-${index}`, body(input, "clean"));
    },
    { concurrency: 2, toleratedFailures: 1 },
  );
  await ctx.step("write-report", () => rows.length);
});

/** A fraction of tolerated failures is ASL's ToleratedFailurePercentage; the callback's context may have any name. */
export const sample = workflow("sample", async (ctx, input: MapInput) => {
  await ctx.map("probe-all", input.items, async (item) => item.step("probe", body(input, "probe")), {
    concurrency: 10,
    toleratedFailures: 0.25,
  });
});
