import { describe, expect, it } from "vitest";
import { workflow } from "./index.js";
import { newEngine, startWorker } from "./testing/engine-kit.js";

describe("StepInfo.token", () => {
  it("is the fencing token of the claim the attempt runs under, new after each claim", async () => {
    const { engine } = newEngine();
    const tokens = workflow("tokens", async (ctx, _input: null) => {
      const first = await ctx.step("first", (info) => info.token);
      // A sleep longer than the in-memory hold releases the execution; the next claim has a new token.
      await ctx.sleep("pause", "1.2s");
      const second = await ctx.step("second", (info) => info.token);
      return { first, second };
    });
    await startWorker(engine, { workflows: [tokens] });
    const run = await engine.client.start(tokens, null);
    const { first, second } = await run.result({ timeout: 10_000 });
    expect(typeof first).toBe("number");
    expect(second).toBe((first as number) + 1);
  });
});
