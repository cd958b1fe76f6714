import { afterEach, describe, expect, it } from "vitest";
import { KeySpace } from "./keys.js";
import { redisStore } from "./redis-store.js";
import { deleteKeys } from "./testing/delete-keys.js";
import { useRedisServer } from "./testing/use-redis-server.js";

const T0 = 1_000_000;
const LEASE_MS = 30_000;
const redis = useRedisServer();
let prefixes = 0;
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function newStore() {
  const keys = new KeySpace(`ver${++prefixes}`);
  const store = redisStore({ url: redis.server.url, prefix: keys.prefix });
  cleanups.push(
    () => deleteKeys(redis.admin, keys),
    () => store.close(),
  );
  return { keys, store };
}

const started = (id: string) => new TextEncoder().encode(`ExecutionStarted ${id}`);

describe("workflow versions on redisStore", () => {
  it("keeps each version's executions in its own due index; version 1 in the keys written before versions", async () => {
    const { keys, store } = newStore();
    await store.executions.create({ id: "a", workflow: "orders", createdAt: T0, started: started("a") });
    await store.executions.create({
      id: "b",
      workflow: "orders",
      createdAt: T0,
      started: started("b"),
      version: 2,
    });
    expect(await redis.admin.zrange(keys.queue("orders").due, "0", "-1")).toEqual(["a"]);
    expect(keys.queue("orders").due).toBe(`{${keys.prefix}:q:orders}:due`);
    expect(await redis.admin.zrange(keys.queue("orders", 2).due, "0", "-1")).toEqual(["b"]);
    expect(keys.queue("orders", 2).due).toBe(`{${keys.prefix}:q:orders}:v2:due`);
    expect(await redis.admin.smembers(keys.queueVersions("orders"))).toEqual(["2"]);
  });

  it("reads a record written without version as 1, and a version-1 claim takes it", async () => {
    const { keys, store } = newStore();
    await store.executions.create({
      id: "legacy",
      workflow: "orders",
      createdAt: T0,
      started: started("legacy"),
    });
    // What the previous release wrote: no `version` field, the entry in `{...:q:orders}:due`.
    await redis.admin.hdel(keys.execution("legacy").record, "version");
    expect(await redis.admin.hexists(keys.execution("legacy").record, "version")).toBe(0);
    expect((await store.executions.get("legacy"))?.version).toBe(1);
    const claim = (versions: number[]) =>
      store.queue.claim({
        owner: "w",
        workflows: ["orders"],
        versions: { orders: versions },
        limit: 5,
        now: T0,
        leaseMs: LEASE_MS,
      });
    expect(await store.queue.nextDueAt(["orders"], { orders: [2] })).toBeNull();
    expect(await claim([2])).toEqual([]);
    expect((await claim([1])).map((c) => [c.record.id, c.record.version])).toEqual([["legacy", 1]]);
  });

  it("a process whose cache still has the old version wakes the execution in its new version's index", async () => {
    const { keys, store: worker } = newStore();
    const client = redisStore({ url: redis.server.url, prefix: keys.prefix });
    cleanups.push(() => client.close());
    const enc = new TextEncoder();
    // The client creates it (its cache: version 1); the worker continues it as version 2 and sleeps.
    await client.executions.create({ id: "s", workflow: "orders", createdAt: T0, started: started("s") });
    const [first] = await worker.queue.claim({
      owner: "w",
      workflows: ["orders"],
      limit: 1,
      now: T0,
      leaseMs: LEASE_MS,
    });
    const continued = {
      run: 1,
      expectedSeq: 1,
      closing: enc.encode("c"),
      started: enc.encode("r2"),
      version: 2,
    };
    await worker.journal.continueAsNew(first!.lease, continued, T0 + 1);
    const v2 = { orders: [2] };
    const [second] = await worker.queue.claim({
      owner: "w",
      workflows: ["orders"],
      versions: v2,
      limit: 1,
      now: T0 + 2,
      leaseMs: LEASE_MS,
    });
    await worker.queue.release(second!.lease, { status: "sleeping", dueAt: T0 + 3_600_000 }, T0 + 3);
    expect(await worker.queue.nextDueAt(["orders"], v2)).toBe(T0 + 3_600_000);
    // The client hints the version-1 index, sees version 2 in the reply, and syncs that one too.
    await client.inbox.send("s", enc.encode("event"), T0 + 10);
    expect(await worker.queue.nextDueAt(["orders"], v2)).toBe(T0 + 10);
    expect(await redis.admin.zscore(keys.queue("orders").due, "s")).toBeNull();
    const woken = await worker.queue.claim({
      owner: "w",
      workflows: ["orders"],
      versions: v2,
      limit: 1,
      now: T0 + 10,
      leaseMs: LEASE_MS,
    });
    expect(woken.map((c) => [c.record.id, c.record.version])).toEqual([["s", 2]]);
  });

  it("continue-as-new to another version moves the due entry to that version's index", async () => {
    const { keys, store } = newStore();
    await store.executions.create({ id: "c", workflow: "orders", createdAt: T0, started: started("c") });
    const [claim] = await store.queue.claim({
      owner: "w",
      workflows: ["orders"],
      limit: 1,
      now: T0,
      leaseMs: LEASE_MS,
    });
    const enc = new TextEncoder();
    await store.journal.continueAsNew(
      claim!.lease,
      { run: 1, expectedSeq: 1, closing: enc.encode("closing"), started: enc.encode("run 2"), version: 2 },
      T0 + 5,
    );
    expect(await redis.admin.zscore(keys.queue("orders").due, "c")).toBeNull();
    expect(Number(await redis.admin.zscore(keys.queue("orders", 2).due, "c"))).toBe(T0 + 5);
    expect(await redis.admin.hget(keys.execution("c").record, "version")).toBe("2");
  });
});
