import { createEngine, ExecutionFinishedError, workflow } from "@stepline/core";
import { describe, expect, it } from "vitest";
import { KeySpace } from "./keys.js";
import { redisStore } from "./redis-store.js";
import { deleteKeys } from "./testing/delete-keys.js";
import { useRedisServer } from "./testing/use-redis-server.js";

const redis = useRedisServer();

/** Waits for `count` "item" events and returns their payloads in the order it got them. */
const collect = workflow("collect", async (ctx, count: number) => {
  const items: unknown[] = [];
  for (let i = 0; i < count; i++) items.push(await ctx.waitForEvent("item"));
  return items;
});

describe("signal-with-start on redisStore", () => {
  it("20 starts with events from two clients on one id: one execution, whose workflow gets all 20", async () => {
    const prefix = "sws-race";
    const stores = [
      redisStore({ url: redis.server.url, prefix }),
      redisStore({ url: redis.server.url, prefix }),
    ];
    const engines = stores.map((store) => createEngine({ store, log: () => {}, pollInterval: 20 }));
    const worker = engines[0]!.worker({ workflows: [collect], leaseMs: 5_000 });
    try {
      await worker.start();
      const handles = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          engines[i % 2]!.client.start(collect, 20, { id: "batch-1", event: { name: "item", payload: i } }),
        ),
      );
      expect(new Set(handles.map((handle) => handle.id))).toEqual(new Set(["batch-1"]));
      const items = (await handles[0]!.result({ timeout: "10s" })) as number[];
      expect([...items].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
      expect(await stores[0]!.executions.count({ workflow: "collect" })).toBe(1);
      const late = await engines[1]!.client
        .start(collect, 20, { id: "batch-1", event: { name: "item", payload: 20 } })
        .catch((error: unknown) => error);
      expect(ExecutionFinishedError.is(late)).toBe(true);
      expect(await stores[1]!.inbox.read("batch-1")).toHaveLength(20);
    } finally {
      await worker.stop();
      for (const engine of engines) await engine.close();
      for (const store of stores) await store.close();
      await deleteKeys(redis.admin, new KeySpace(prefix));
    }
  });
});
