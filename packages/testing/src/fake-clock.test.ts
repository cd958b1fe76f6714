import { createEngine, memoryStore, TimeoutError, workflow } from "@stepline/core";
import { describe, expect, it } from "vitest";
import { fakeClock } from "./fake-clock.js";

const approval = workflow("approval", async (ctx, _input: null) => {
  await ctx.sleep("cool-off", "1h");
  try {
    const ok = await ctx.waitForEvent<boolean>("approval", { timeout: "2d" });
    return ok ? "approved" : "rejected";
  } catch (error) {
    return TimeoutError.is(error) ? `timed out at day ${(ctx.now() - START) / 86_400_000}` : "other";
  }
});
const START = Date.UTC(2030, 0, 1);

describe("fakeClock", () => {
  it("skips an hour's sleep and a two-day wait timeout in a test", async () => {
    const clock = fakeClock(START);
    const engine = createEngine({ store: memoryStore(), clock, pollInterval: 3_600_000, log: () => {} });
    const worker = engine.worker({ workflows: [approval] });
    await worker.start();
    try {
      const run = await engine.client.start(approval, null);
      await clock.advance("30m");
      expect((await run.describe()).status).toBe("sleeping");
      await clock.advance("31m");
      expect((await run.describe()).status).toBe("waiting");
      await clock.advance("47h");
      expect((await run.describe()).status).toBe("waiting");
      await clock.advance("2h");
      expect(await run.result()).toBe("timed out at day 2.0416666666666665");
      const history = await run.history();
      expect(history.map((e) => e.type)).toEqual([
        "ExecutionStarted",
        "TimerStarted",
        "TimerFired",
        "EventWaitStarted",
        "EventWaitTimedOut",
        "ExecutionSucceeded",
      ]);
      expect(history[2]?.at).toBe(START + 3_600_000);
    } finally {
      const stopping = worker.stop();
      await clock.advance("1m");
      await stopping;
    }
  });

  it("resolves sleeps in time order and drops aborted ones", async () => {
    const clock = fakeClock(0);
    const order: number[] = [];
    const aborted = new AbortController();
    void clock.sleep(300).then(() => order.push(300));
    void clock.sleep(100).then(() => order.push(100));
    void clock.sleep(200, aborted.signal).then(() => order.push(-1));
    aborted.abort();
    await clock.advance(250);
    expect(order).toEqual([-1, 100]);
    expect(clock.now()).toBe(250);
    expect(clock.pendingTimers).toBe(1);
  });
});
