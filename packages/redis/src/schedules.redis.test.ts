import { checkOneExecutionPerTick } from "@stepline/testing";
import { describe, it } from "vitest";
import { KeySpace } from "./keys.js";
import { redisStore } from "./redis-store.js";
import { deleteKeys } from "./testing/delete-keys.js";
import { useRedisServer } from "./testing/use-redis-server.js";

const redis = useRedisServer();

describe("schedules on Redis, from three connections", () => {
  it("three workers, each on its own connection to one key space, start exactly one execution per tick", async () => {
    const prefix = "sched3";
    const stores = [0, 1, 2].map(() => redisStore({ url: redis.server.url, prefix })) as [
      ReturnType<typeof redisStore>,
      ReturnType<typeof redisStore>,
      ReturnType<typeof redisStore>,
    ];
    try {
      await checkOneExecutionPerTick(stores);
    } finally {
      for (const store of stores) await store.close();
      await deleteKeys(redis.admin, new KeySpace(prefix));
    }
  }, 60_000);
});
