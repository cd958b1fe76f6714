import { createEngine, RedriveRefusedError, workflow } from "@stepline/core";
import { describe, expect, it } from "vitest";
import { KeySpace } from "./keys.js";
import { redisStore } from "./redis-store.js";
import { deleteKeys } from "./testing/delete-keys.js";
import { useRedisServer } from "./testing/use-redis-server.js";

const redis = useRedisServer();

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
    const store = redisStore({ url: redis.server.url, prefix: "engine" });
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
      await deleteKeys(redis.admin, new KeySpace("engine"));
    }
  });

  it("serves other executions while a record written with invalid UTF-8 sits in the queue", async () => {
    const prefix = "engine-bad";
    const store = redisStore({ url: redis.server.url, prefix });
    const errors: string[] = [];
    const engine = createEngine({
      store,
      pollInterval: 20,
      log: (level, message) => {
        if (level === "error") errors.push(message);
      },
    });
    const echo = workflow("echo-bad", async (ctx, input: string) => ctx.step("echo", () => input));
    const worker = engine.worker({ workflows: [echo], leaseMs: 2_000 });
    // What a writer that bypassed the store wrote: the UTF-8-less bytes of "user-\uD83D" (CESU-8).
    const badId = Buffer.concat([Buffer.from("user-"), Buffer.from([0xed, 0xa0, 0xbd])]);
    const tag = (suffix: string) =>
      Buffer.concat([Buffer.from(`{${prefix}:`), badId, Buffer.from(`}:${suffix}`)]);
    const now = Date.now();
    try {
      await redis.admin.hset(tag("rec"), {
        id: badId,
        workflow: echo.name,
        status: "running",
        createdAt: String(now),
        updatedAt: String(now),
        dueAt: String(now),
        token: "0",
        journalLength: "1",
        inboxLength: "0",
      });
      await redis.admin.rpush(tag("journal"), Buffer.from([0xc1]));
      await redis.admin.zadd(new KeySpace(prefix).queue(echo.name).due, now, badId);
      await worker.start();
      const run = await engine.client.start(echo, "served", { id: "good" });
      expect(await run.result({ timeout: "5s" })).toBe("served");
      await new Promise((resolve) => setTimeout(resolve, 300));
      // Reported once, then gone from the queue: not picked again at every lease.
      expect(errors).toEqual(["skipped a due execution whose record cannot be read"]);
      expect(await redis.admin.zscore(new KeySpace(prefix).queue(echo.name).due, badId)).toBeNull();
    } finally {
      await worker.stop();
      await engine.close();
      await deleteKeys(redis.admin, new KeySpace(prefix));
      await redis.admin.del(tag("rec"), tag("journal"));
    }
  });

  it("redrives a failed execution twice: the failed step runs again, earlier ones do not", async () => {
    const store = redisStore({ url: redis.server.url, prefix: "redrive" });
    const engine = createEngine({ store, log: () => {}, pollInterval: 20 });
    const provider = { down: true };
    const runs = { reserve: 0, charge: 0 };
    const order = workflow("redriveOrder", async (ctx, total: number) => {
      const hold = await ctx.step("reserve", () => `hold-${++runs.reserve}`);
      const receipt = await ctx.step(
        "charge",
        () => {
          runs.charge++;
          if (provider.down) throw new Error("provider down");
          return `charged ${total}`;
        },
        { retry: { maxAttempts: 1 } },
      );
      return { hold, receipt };
    });
    const worker = engine.worker({ workflows: [order], leaseMs: 5_000 });
    try {
      await worker.start();
      const run = await engine.client.start(order, 42, { id: "redrive-1" });
      await run.result({ timeout: "10s" }).catch(() => {});
      await expect(run.redrive()).resolves.toBeUndefined();
      await run.result({ timeout: "10s" }).catch(() => {});
      expect((await run.describe()).status).toBe("failed");
      provider.down = false;
      await run.redrive();
      expect(await run.result({ timeout: "10s" })).toEqual({ hold: "hold-1", receipt: "charged 42" });
      expect(runs).toEqual({ reserve: 1, charge: 3 });
      const types = (await run.history()).map((e) => e.type);
      expect(types.filter((t) => t === "ExecutionRedriven")).toHaveLength(2);
      const refused = await run.redrive().catch((error: unknown) => error);
      expect(RedriveRefusedError.is(refused)).toBe(true);
    } finally {
      await worker.stop();
      await engine.close();
      await deleteKeys(redis.admin, new KeySpace("redrive"));
    }
  });
});
