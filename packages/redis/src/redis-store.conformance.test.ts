import { describeStoreConformance } from "@stepline/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll } from "vitest";
import { KeySpace } from "./keys.js";
import { redisStore } from "./redis-store.js";
import { deleteKeys } from "./testing/delete-keys.js";
import { type RedisServer, startRedisServer } from "./testing/redis-server.js";

let server: RedisServer;
let admin: Redis;
let fixtures = 0;

beforeAll(async () => {
  server = await startRedisServer();
  admin = new Redis(server.url);
});

afterAll(async () => {
  await admin?.quit();
  await server?.stop();
});

describeStoreConformance("redisStore", async () => {
  // A prefix per case: cases share the server, never a key.
  const prefix = `t${++fixtures}`;
  const store = redisStore({ url: server.url, prefix });
  return {
    store,
    dispose: async () => {
      await store.close();
      await deleteKeys(admin, new KeySpace(prefix));
    },
  };
});
