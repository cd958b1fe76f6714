import { workflow } from "@stepline/core";
import { body, type FixtureInput } from "../../fixture-kit.js";

/** Step timeouts: TimeoutSeconds (per attempt), HeartbeatSeconds, totalTimeout as a Comment. */
export const transcode = workflow("transcode", async (ctx, input: FixtureInput) => {
  await ctx.step("probe", body(input, "probe"), { timeout: "30s" });
  await ctx.step("encode", body(input, "encode"), {
    timeout: "10m",
    heartbeatTimeout: "30s",
    totalTimeout: "1h",
    retry: { maxAttempts: 4, initialInterval: "10s" },
  });
  await ctx.step("publish", body(input, "publish"), { totalTimeout: 120_000 });
});
