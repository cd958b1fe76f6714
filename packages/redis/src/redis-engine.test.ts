import { createEngine, workflow } from "@stepline/core";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeySpace } from "./keys.js";
import { redisStore } from "./redis-store.js";
import { deleteKeys } from "./testing/delete-keys.js";
import { type RedisServer, startRedisServer } from "./testing/redis-server.js";

let server: RedisServer;
let admin: Redis;

beforeAll(async () => {
  server = await startRedisServer();
  admin = new Redis(server.url);
});

afterAll(async () => {
  await admin?.quit();
  await server?.stop();
});

const approveOrder = workflow("approveOrder", async (ctx, order: { id: string; total: number }) => {
  const hold = await ctx.step("reserve", async () => `hold-${order.id}`);
  await ctx.sleep("cool-off", 50);
  const approved = await ctx.waitForEvent<boolean>("approval", { timeout: "1m" });
  const receipt = await ctx.step("charge", async () => (approved ? `charged ${order.total}` : "not charged"));
  return { hold, receipt };
});

async function waitForStatus(read: () => Promise<{ status: string }>, status: string, ms = 10_000) {
  const deadline = Date.now() + ms;
  while ((await read()).status !== status) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for status ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("an engine on redisStore", () => {
  it("runs a workflow with steps, a timer and an event to completion through a worker", async () => {
    const store = redisStore({ url: server.url, prefix: "engine" });
    const engine = createEngine({ store, log: () => {}, pollInterval: 20 });
    const worker = engine.worker({ workflows: [approveOrder], leaseMs: 5_000 });
    try {
      await worker.start();
      const started = store.clock.now();
      const run = await engine.client.start(approveOrder, { id: "o-1", total: 42 }, { id: "order-o-1" });
      await waitForStatus(() => run.describe(), "waiting");
      // The timer fired no earlier than 50 ms after the start, by the server's clock.
      expect(store.clock.now() - started).toBeGreaterThanOrEqual(50);
      await run.sendEvent("approval", true);

      expect(await run.result({ timeout: "10s" })).toEqual({ hold: "hold-o-1", receipt: "charged 42" });
      const history = await run.history();
      expect(history.map((event) => event.type)).toEqual([
        "ExecutionStarted",
        "StepScheduled",
        "StepSucceeded",
        "TimerStarted",
        "TimerFired",
        "EventWaitStarted",
        "EventReceived",
        "StepScheduled",
        "StepSucceeded",
        "ExecutionSucceeded",
      ]);
      expect(history.map((event) => event.seq)).toEqual(history.map((_, i) => i));
      const [timerStarted, timerFired] = history.filter((e) => e.type.startsWith("Timer")) as {
        at: number;
        fireAt: number;
      }[];
      // Fired once, and not before its time (both times from the server's clock).
      expect(timerFired!.at).toBeGreaterThanOrEqual(timerStarted!.fireAt);
      expect(timerStarted!.fireAt - history[0]!.at).toBeGreaterThanOrEqual(50);
      expect(await run.describe()).toMatchObject({ status: "succeeded", historyLength: history.length });
      expect(await store.queue.nextDueAt([approveOrder.name])).toBeNull();
    } finally {
      await worker.stop();
      await engine.close();
      await deleteKeys(admin, new KeySpace("engine"));
    }
  });
});
