import { describe, expect, it } from "vitest";
import { ChildFailedError, InvalidArgumentError, TimeoutError, workflow } from "./index.js";
import { newEngine, rejection, startWorker } from "./testing/engine-kit.js";

/** Sleeps far longer than any timeout a test gives it. */
const slowChild = workflow("slowChild", async (ctx) => {
  await ctx.sleep("forever", "1h");
  return "woke";
});

describe("ctx.child executionTimeout", () => {
  it("times the child out on its own: the child ends timed_out and the parent's await throws", async () => {
    const parent = workflow("timedParent", async (ctx) => {
      try {
        return await ctx.child(slowChild, undefined, { executionTimeout: 150 });
      } catch (error) {
        if (!ChildFailedError.is(error)) throw error;
        return `child failed: ${TimeoutError.is(error.cause) ? "timeout" : String(error.cause)}`;
      }
    });
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [parent, slowChild] });
    const run = await engine.client.start(parent, undefined, { id: "timed-1" });
    expect(await run.result({ timeout: "10s" })).toBe("child failed: timeout");
    const child = await engine.client.describe("timed-1/slowChild");
    expect(child.status).toBe("timed_out");
    const [started] = await engine.client.history("timed-1/slowChild");
    expect(started?.type === "ExecutionStarted" && started.timeoutAt! - started.at).toBe(150);
  });

  it("refuses a timeout that is not a positive duration, before anything is journaled", async () => {
    for (const executionTimeout of [0, -5, "soon", Number.NaN]) {
      const parent = workflow("badTimeoutParent", async (ctx) =>
        ctx.child(slowChild, undefined, { executionTimeout }),
      );
      const { engine } = newEngine();
      await startWorker(engine, { workflows: [parent, slowChild] });
      const run = await engine.client.start(parent, undefined, { id: "bad-timeout" });
      const error = await rejection(run.result({ timeout: "10s" }));
      expect(InvalidArgumentError.is(error)).toBe(true);
      expect(error.message).toContain('ctx.child("slowChild") executionTimeout');
      expect((await run.history()).some((e) => e.type === "ChildStarted")).toBe(false);
    }
  });
});
