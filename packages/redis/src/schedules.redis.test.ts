import { checkOneExecutionPerTick } from "@stepline/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, it } from "vitest";
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

describe("schedules on Redis, from three connections", () => {
  it("three workers, each on its own connection to one key space, start exactly one execution per tick", async () => {
    const prefix = "sched3";
    const stores = [0, 1, 2].map(() => redisStore({ url: server.url, prefix })) as [
      ReturnType<typeof redisStore>,
      ReturnType<typeof redisStore>,
      ReturnType<typeof redisStore>,
    ];
    try {
      await checkOneExecutionPerTick(stores);
    } finally {
      for (const store of stores) await store.close();
      await deleteKeys(admin, new KeySpace(prefix));
    }
  }, 60_000);
});
