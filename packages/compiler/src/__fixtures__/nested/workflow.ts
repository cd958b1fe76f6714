import { workflow } from "@stepline/core";
import { body, type FixtureInput, flag, type Vocabulary } from "../fixture-kit.js";

export const vocabulary: Vocabulary = {
  steps: ["prepare", "pick", "quality", "recheck", "invoice", "ship", "notify", "cleanup"],
  flags: ["fragile", "gift"],
  events: ["pickup"],
};

/** Every construct inside the others: try in a Map, Choice in a Map, Parallel in a Choice, loop in a branch. */
export const warehouse = workflow("warehouse", async (ctx, input: FixtureInput) => {
  await ctx.step("prepare", body(input, "prepare"));
  for (const item of input.items ?? []) {
    try {
      await ctx.step(`pick-${item}`, body(input, "pick"));
      if (flag(input, "fragile")) await ctx.step(`quality-${item}`, body(input, "quality"));
    } catch {
      await ctx.step(`recheck-${item}`, body(input, "recheck"), { retry: { maxAttempts: 1 } });
    }
  }
  if (flag(input, "gift")) {
    await Promise.all([
      ctx.step("invoice", body(input, "invoice")),
      (async () => {
        for (let round = 0; round < (input.count ?? 0); round++) {
          await ctx.sleep(`wait-${round}`, "1m");
        }
        await ctx.step("ship", body(input, "ship"));
      })(),
    ]);
  } else {
    try {
      await ctx.waitForEvent("pickup", { timeout: "1h" });
    } finally {
      await ctx.step("notify", body(input, "notify"));
    }
  }
  await Promise.allSettled(
    (input.items ?? []).map(async (item) => {
      if (item !== "a") await ctx.step(`cleanup-${item}`, body(input, "cleanup"));
    }),
  );
});
