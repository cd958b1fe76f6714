import { workflow } from "@stepline/core";
import { body, type FixtureInput, type Vocabulary } from "../fixture-kit.js";

export const vocabulary: Vocabulary = { steps: ["poll", "batch", "report"] };

/** while and for loops: a Choice with a back edge; break and continue are edges too. */
export const loops = workflow("loops", async (ctx, input: FixtureInput) => {
  let attempt = 0;
  while (attempt < (input.count ?? 0)) {
    attempt += 1;
    const ready = await ctx.step(`poll-${attempt}`, body(input, "poll"));
    if (ready === "stop") break;
    await ctx.sleep(`backoff-${attempt}`, "10s");
  }
  for (let i = 0; i < (input.items?.length ?? 0); i++) {
    if (i === 1) continue;
    await ctx.step(`batch-${i}`, body(input, "batch"));
  }
  await ctx.step("report", body(input, "report"));
});
