import type { AttributesUpdate, Lease, Store } from "@stepline/core";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { KeySpace } from "./keys.js";
import { redisStore } from "./redis-store.js";
import { deleteKeys } from "./testing/delete-keys.js";
import { type RedisServer, startRedisServer } from "./testing/redis-server.js";

let server: RedisServer;
let admin: Redis;
let prefixes = 0;
const open: { store: Store; keys: KeySpace }[] = [];

beforeAll(async () => {
  server = await startRedisServer();
  admin = new Redis(server.url);
});

afterEach(async () => {
  for (const { store, keys } of open.splice(0)) {
    await store.close();
    await deleteKeys(admin, keys);
  }
});

afterAll(async () => {
  await admin?.quit();
  await server?.stop();
});

const T0 = 1_000_000;
const bytes = (text: string) => new TextEncoder().encode(text);

function fresh() {
  const prefix = `attr${++prefixes}`;
  const entry = { store: redisStore({ url: server.url, prefix }), keys: new KeySpace(prefix) };
  open.push(entry);
  return entry;
}

/** Creates `id` in a workflow of its own, claims it and appends one event with `attributes`. */
async function withAttributes(
  store: Store,
  id: string,
  attributes: AttributesUpdate,
  at = T0,
): Promise<Lease> {
  const workflow = `wf-${id}`;
  await store.executions.create({ id, workflow, createdAt: at, started: bytes(id) });
  const [claim] = await store.queue.claim({
    owner: "w",
    workflows: [workflow],
    limit: 1,
    now: at,
    leaseMs: 60_000,
  });
  if (!claim) throw new Error(`setup: ${id} was not claimed`);
  await store.journal.append(claim.lease, { expectedSeq: 1, events: [bytes("set")], attributes }, at + 1);
  return claim.lease;
}

describe("the Redis store's search attribute index", () => {
  it("answers where from the index, not the created index that list walks", async () => {
    const { store, keys } = fresh();
    await withAttributes(store, "needle", { customerId: "c-42" });
    for (let i = 0; i < 3; i++) await withAttributes(store, `other-${i}`, { customerId: "c-1" }, T0 + 10 + i);
    await admin.del(keys.created);
    expect(await store.executions.list({})).toEqual([]);
    const found = await store.executions.list({ where: { customerId: "c-42" } });
    expect(found.map((r) => r.id)).toEqual(["needle"]);
    expect(await store.executions.count({ where: { customerId: "c-1" } })).toBe(3);
  });

  it("keeps a value apart from a longer one that starts with it and a tab, and from other types", async () => {
    const { store } = fresh();
    await withAttributes(store, "short", { v: "a" });
    await withAttributes(store, "tabbed", { v: "a\tb" }, T0 + 1);
    await withAttributes(store, "number", { v: 1 }, T0 + 2);
    await withAttributes(store, "text-1", { v: "1" }, T0 + 3);
    const ids = async (v: string | number) =>
      (await store.executions.list({ where: { v } })).map((record) => record.id);
    expect(await ids("a")).toEqual(["short"]);
    expect(await ids("a\tb")).toEqual(["tabbed"]);
    expect(await ids(1)).toEqual(["number"]);
    expect(await ids("1")).toEqual(["text-1"]);
  });

  it("an index entry the record no longer backs: list finds nothing, count counts it until the next change", async () => {
    const { store, keys } = fresh();
    const lease = await withAttributes(store, "o-1", { region: "eu" });
    expect(await store.executions.count({})).toBe(1); // the indexes are built (a rebuild would fix the entry)
    // As if the process died between the record script and the index sync.
    await admin.hdel(keys.execution("o-1").record, "a:region");
    expect(await store.executions.list({ where: { region: "eu" } })).toEqual([]);
    // count reads no record (count-attributes.lua), as the lifecycle counts.
    expect(await store.executions.count({ where: { region: "eu" } })).toBe(1);
    // The next change brings the index to the record.
    await store.journal.append(
      lease,
      { expectedSeq: 2, events: [bytes("x")], attributes: { tier: 1 } },
      T0 + 5,
    );
    expect(await admin.zcard(keys.attributes().entries)).toBe(1);
    expect(await store.executions.count({ where: { region: "eu" } })).toBe(0);
  });

  it("count({ where }) reads no record: one script over the indexes, whatever the number of matches", async () => {
    const { store } = fresh();
    for (let i = 0; i < 60; i++) {
      await withAttributes(
        store,
        `o-${i}`,
        { customerId: i % 3 === 0 ? "c-42" : "c-1", tier: i % 2 },
        T0 + i,
      );
    }
    const calls = async () => {
      const stats = await admin.info("commandstats");
      const of = (command: string) =>
        Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
      // Records are hashes read whole (HGETALL) or by field (HMGET); scripts' calls count too.
      return { hgetall: of("hgetall"), hmget: of("hmget") };
    };
    // A store first used before its startup mark was written builds its indexes once: not measured.
    expect(await store.executions.count({})).toBe(60);
    const before = await calls();
    expect(await store.executions.count({ where: { customerId: "c-42" } })).toBe(20);
    expect(await store.executions.count({ where: { customerId: "c-1", tier: 1 } })).toBe(20);
    expect(await store.executions.count({ where: { customerId: "c-42" }, status: "running" })).toBe(20);
    expect(await store.executions.count({ where: { customerId: "c-42" }, status: "sleeping" })).toBe(0);
    expect(await store.executions.count({ where: { customerId: "c-42" }, workflow: "wf-o-3" })).toBe(1);
    expect(await store.executions.count({ where: { customerId: "c-42" }, workflow: "wf-o-1" })).toBe(0);
    // No record was read: HGETALL/HMGET calls unchanged (lists read each match with HGETALL).
    expect(await calls()).toEqual(before);
  });

  it("a rebuild brings back the attribute index: delete its keys and the indexed mark, reopen", async () => {
    const { store, keys } = fresh();
    await withAttributes(store, "o-1", { region: "eu", tier: 1 });
    await withAttributes(store, "o-2", { region: "eu", tier: 2 }, T0 + 1);
    await withAttributes(store, "o-3", { region: "us" }, T0 + 2);
    const k = keys.attributes();
    await admin.del(k.members, k.entries, keys.lifecycle().built);
    expect(await admin.zcard(k.entries)).toBe(0);
    const reopened = redisStore({ url: server.url, prefix: keys.prefix });
    open.push({ store: reopened, keys });
    const found = await reopened.executions.list({ where: { region: "eu" } });
    expect(found.map((r) => r.id)).toEqual(["o-2", "o-1"]);
    expect(await reopened.executions.count({ where: { region: "eu" }, status: "running" })).toBe(2);
    expect(await reopened.executions.count({ where: { tier: 2 } })).toBe(1);
    expect(await admin.zcard(k.entries)).toBe(5);
    expect(await admin.hlen(k.members)).toBe(3);
    expect(await admin.get(keys.lifecycle().built)).toBe("1");
  });

  it("delete leaves no index entry and no member behind", async () => {
    const { store, keys } = fresh();
    const lease = await withAttributes(store, "o-1", { region: "eu", tier: 2 });
    await store.queue.release(lease, { status: "succeeded", dueAt: null }, T0 + 2);
    expect(await admin.zcard(keys.attributes().entries)).toBe(2);
    await store.executions.delete("o-1", T0 + 3);
    expect(await admin.zcard(keys.attributes().entries)).toBe(0);
    expect(await admin.hlen(keys.attributes().members)).toBe(0);
  });
});
