import { describeStoreConformance } from "@stepline/testing";
import { Cluster, Redis } from "ioredis";
import { afterAll, beforeAll } from "vitest";
import { KeySpace } from "./keys.js";
import { redisStore } from "./redis-store.js";
import { deleteKeys } from "./testing/delete-keys.js";
import { type RedisServer, startRedisServer } from "./testing/redis-server.js";

// The same suite through ioredis Cluster on a one-node cluster: a cluster node refuses
// a script whose keys are in different slots (CROSSSLOT), so every case here also
// checks that each script touches one slot. Several nodes, resharding and failover
// are not covered (ARCHITECTURE.md, "What is not tested yet").
let server: RedisServer;
let admin: Redis;
let fixtures = 0;

beforeAll(async () => {
  server = await startRedisServer({ cluster: true });
  admin = new Redis(server.url);
});

afterAll(async () => {
  await admin?.quit();
  await server?.stop();
});

describeStoreConformance("redisStore on a Redis Cluster node", async () => {
  const prefix = `c${++fixtures}`;
  const cluster = new Cluster([{ host: "127.0.0.1", port: server.port }], { enableAutoPipelining: true });
  const store = redisStore(cluster, { prefix });
  return {
    store,
    dispose: async () => {
      await store.close();
      await cluster.quit();
      await deleteKeys(admin, new KeySpace(prefix));
    },
  };
});
