import { workflow } from "@stepline/core";
import { body, type FixtureInput, type Vocabulary } from "../fixture-kit.js";

export const vocabulary: Vocabulary = { steps: ["fetch", "parse", "store"] };

/** Retry policies: Retry with IntervalSeconds, BackoffRate, MaxAttempts, MaxDelaySeconds, JitterStrategy. */
export const ingest = workflow("ingest", async (ctx, input: FixtureInput) => {
  const page = await ctx.step("fetch", body(input, "fetch"), {
    retry: { maxAttempts: 4, initialInterval: "1s", backoffRate: 1.5, maxInterval: "10s", jitter: "full" },
  });
  await ctx.step("parse", body(input, "parse"), { retry: { maxAttempts: 2, nonRetryable: ["SyntaxError"] } });
  await ctx.step("store", body(input, "store"), { timeout: "2m" });
  return page;
});
