import { workflow } from "@stepline/core";
import { body, type FixtureInput } from "../../fixture-kit.js";

/** return ctx.continueAsNew(input): the run ends, the next one starts this machine again. */
export const poller = workflow("poller", async (ctx, input: FixtureInput) => {
  await ctx.step("poll", body(input, "poll"));
  await ctx.sleep("pause", "5m");
  if ((input.count ?? 0) < 3) return ctx.continueAsNew({ ...input, count: (input.count ?? 0) + 1 });
  return ctx.step("report", body(input, "report"));
});
