import { createEngine, workflow } from "@stepline/core";
import { describe, expect, it } from "vitest";
import { KeySpace } from "./keys.js";
import { redisStore } from "./redis-store.js";
import { useRedisServer } from "./testing/use-redis-server.js";

const redis = useRedisServer();

// Takes one "item" event per run; events sent before the worker starts carry over.
const collector = workflow("collector", async (ctx, state: { got: number[]; count: number }) => {
  if (state.got.length === state.count) return state.got;
  const item = await ctx.waitForEvent<number>("item");
  const doubled = await ctx.step("double", () => item * 2);
  return ctx.continueAsNew({ ...state, got: [...state.got, doubled] });
});

describe("continue-as-new on redisStore", () => {
  it("runs a chain of runs through a worker; earlier runs stay under their own keys", async () => {
    const store = redisStore({ url: redis.server.url, prefix: "runs" });
    const engine = createEngine({ store, log: () => {}, pollInterval: 20 });
    const worker = engine.worker({ workflows: [collector], leaseMs: 5_000 });
    try {
      const run = await engine.client.start(collector, { got: [], count: 3 }, { id: "col-1" });
      for (const item of [1, 2, 3]) await run.sendEvent("item", item);
      await worker.start();
      expect(await run.result({ timeout: "10s" })).toEqual([2, 4, 6]);
      const described = await run.describe();
      expect(described).toMatchObject({ status: "succeeded", run: 4, historyLength: 2 });
      const first = await run.history({ run: 1 });
      expect(first.map((e) => e.type)).toEqual([
        "ExecutionStarted",
        "EventWaitStarted",
        "EventReceived",
        "StepScheduled",
        "StepSucceeded",
        "ContinuedAsNew",
      ]);
      expect((await run.history({ run: 3 }))[0]).toMatchObject({ run: 3, inboxFrom: 2 });
      const keys = new KeySpace("runs");
      for (const n of [1, 2, 3]) expect(await redis.admin.llen(keys.runJournal("col-1", n))).toBe(6);
      expect(await redis.admin.exists(keys.runJournal("col-1", 4))).toBe(0);
      expect(await redis.admin.hget(keys.execution("col-1").record, "run")).toBe("4");
    } finally {
      await worker.stop();
      await engine.close();
    }
  });
});
