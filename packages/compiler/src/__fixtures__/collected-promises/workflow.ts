import { workflow } from "@stepline/core";
import { body, type FixtureInput, type Vocabulary } from "../fixture-kit.js";

export const vocabulary: Vocabulary = {
  steps: ["shard-a", "shard-b", "shard-c", "merge", "check", "report", "retry-failed"],
};

/**
 * Operation promises pushed into an array in a loop, then awaited together: a Map
 * state over the loop's items, every iteration started at once (as
 * Promise.all(items.map(...)) is drawn). Plain code between the loop and the await
 * runs alongside them and draws nothing.
 */
export const shardedBuild = workflow("shardedBuild", async (ctx, input: FixtureInput) => {
  const runs: Promise<string>[] = [];
  for (const [index, shard] of (input.items ?? []).entries()) {
    const label = `${shard}-${index}`;
    runs.push(ctx.step(`shard-${shard}-${index}`, body(input, `shard-${shard}`)));
    void label;
  }
  const started = runs.length;
  const outputs = await Promise.all(runs);
  await ctx.step("merge", body(input, outputs.length === started ? "merge" : "none"));
});

/** `.map` into a variable first, then Promise.allSettled: a Map that tolerates failed items. */
export const checkAll = workflow("checkAll", async (ctx, input: FixtureInput) => {
  const checks = (input.items ?? []).map((item, index) =>
    ctx.step(`check-${item}-${index}`, body(input, "check")),
  );
  const settled = await Promise.allSettled(checks);
  if (settled.some((result) => result.status === "rejected")) {
    await ctx.step("retry-failed", body(input, "retry-failed"));
  }
  await ctx.step("report", body(input, "report"));
});
