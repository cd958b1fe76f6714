import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DueIndex, PENDING_TIMEOUT_MS } from "./due-index.js";
import { KeySpace } from "./keys.js";
import { LuaScripts } from "./lua-scripts.js";
import { redisStore } from "./redis-store.js";
import { deleteKeys } from "./testing/delete-keys.js";
import { type RedisServer, startRedisServer } from "./testing/redis-server.js";

const T0 = 1_000_000;
const LEASE_MS = 30_000;
/** The due index of workflow "wf" at version 1 (the keys written before versions). */
const WF = { workflow: "wf", version: 1 };
let server: RedisServer;
let client: Redis;
let prefixes = 0;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  server = await startRedisServer();
  client = new Redis(server.url);
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(async () => {
  await client?.quit();
  await server?.stop();
});

/** A fresh prefix with the index and scripts on it, and a store on the same keys. */
function setup() {
  const keys = new KeySpace(`d${++prefixes}`);
  const scripts = new LuaScripts(client);
  const index = new DueIndex(client, scripts, keys);
  const store = redisStore(client, { prefix: keys.prefix });
  cleanups.push(
    () => deleteKeys(client, keys),
    () => store.close(),
  );
  const score = async (id: string, workflow = "wf") => {
    const value = await client.zscore(keys.queue(workflow).due, id);
    return value === null ? null : Number(value);
  };
  return { keys, scripts, index, store, score };
}

describe("the due index", () => {
  it("follows the record exactly when changes do not overlap: raised, lowered, removed", async () => {
    const { index, score } = setup();
    const first = await index.hint(WF, "e1", T0, T0);
    await index.sync(WF, "e1", T0 + 500, first, T0);
    expect(await score("e1")).toBe(T0 + 500);
    const second = await index.hint(WF, "e1", T0 + 100, T0 + 100);
    expect(await score("e1")).toBe(T0 + 100);
    await index.sync(WF, "e1", T0 + 100, second, T0 + 100);
    expect(await score("e1")).toBe(T0 + 100);
    const third = await index.hint(WF, "e1", null, T0 + 200);
    await index.sync(WF, "e1", null, third, T0 + 200);
    expect(await score("e1")).toBeNull();
  });

  it("never moves an entry later on a reference older than another change's hint", async () => {
    const { index, score } = setup();
    // A release read the record (due in an hour) before an event's hint lowered the entry.
    const release = await index.hint(WF, "e1", null, T0);
    const event = await index.hint(WF, "e1", T0 + 10, T0 + 10);
    await index.sync(WF, "e1", T0 + 3_600_000, release, T0);
    expect(await score("e1")).toBe(T0 + 10);
    // The event's own sync is the newest word.
    await index.sync(WF, "e1", T0 + 10, event, T0 + 10);
    expect(await score("e1")).toBe(T0 + 10);
  });

  it("keeps a pending hint: no other change removes the entry until the hinting change has synced", async () => {
    const { index, score } = setup();
    await index.hint(WF, "e1", T0, T0);
    const other = await index.hint(WF, "e1", null, T0 + 1);
    await index.sync(WF, "e1", null, other, T0 + 1);
    expect(await score("e1")).toBe(T0);
  });

  it("presumes a hint dead after PENDING_TIMEOUT_MS, so a crashed writer does not pin the entry for ever", async () => {
    const { index, score } = setup();
    await index.hint(WF, "e1", T0, T0);
    const later = T0 + PENDING_TIMEOUT_MS + 1;
    const other = await index.hint(WF, "e1", null, later);
    await index.sync(WF, "e1", null, other, later);
    expect(await score("e1")).toBeNull();
  });

  it("always lets a change move the entry earlier, whatever happened since its reference", async () => {
    const { index, score } = setup();
    const old = await index.hint(WF, "e1", null, T0);
    await index.hint(WF, "e1", T0 + 50, T0);
    await index.sync(WF, "e1", T0 + 20, old, T0);
    expect(await score("e1")).toBe(T0 + 20);
    await index.sync(WF, "e2", T0 + 5, undefined, T0);
    expect(await score("e2")).toBe(T0 + 5);
  });

  it("cleans up after itself: a removed entry leaves no mark and no pending hint behind", async () => {
    const { index, keys } = setup();
    const ref = await index.hint(WF, "e1", T0, T0);
    await index.sync(WF, "e1", null, ref, T0);
    const q = keys.queue("wf");
    expect(await client.exists(q.due, q.marks, q.pending)).toBe(0);
  });
});

describe("two-phase claiming across slots", () => {
  it("loses no wake-up when an event's sender dies between its record write and its sync", async () => {
    const { keys, scripts, index, store, score } = setup();
    const order = { id: "order-1", workflow: "wf" };
    await store.executions.create({ ...order, createdAt: T0, started: new Uint8Array([1]) });
    const [claim] = await store.queue.claim({
      owner: "w1",
      workflows: ["wf"],
      limit: 1,
      now: T0,
      leaseMs: LEASE_MS,
    });
    await store.queue.release(claim!.lease, { status: "waiting", dueAt: null }, T0 + 1);
    expect(await score(order.id)).toBeNull();

    // The sender writes its hint ...
    await index.hint(WF, order.id, T0 + 10, T0 + 10);
    // ... a claimer picks the entry and reads the record before the event is written: not due ...
    expect(
      await store.queue.claim({ owner: "w2", workflows: ["wf"], limit: 1, now: T0 + 10, leaseMs: LEASE_MS }),
    ).toEqual([]);
    // ... then the sender's record write lands and the sender dies before its sync.
    const k = keys.execution(order.id);
    await scripts.run("send-event", [k.record, k.inbox], [Buffer.from("approval"), String(T0 + 11)]);
    expect(await store.executions.get(order.id)).toMatchObject({ status: "running", dueAt: T0 + 11 });

    // The claimer could not remove the entry under the pending hint: it is found again
    // once the claimer's pick (a lease length) has passed, never lost.
    expect(await score(order.id)).toBe(T0 + 10 + LEASE_MS);
    expect(await store.queue.nextDueAt(["wf"])).toBe(T0 + 10 + LEASE_MS);
    const [recovered] = await store.queue.claim({
      owner: "w3",
      workflows: ["wf"],
      limit: 1,
      now: T0 + 10 + LEASE_MS,
      leaseMs: LEASE_MS,
    });
    expect(recovered?.record).toMatchObject({ id: order.id, inboxLength: 1, token: 2, leaseOwner: "w3" });
  });

  it("re-syncs a stale entry from the record and takes the next due one in the same claim", async () => {
    const { index, store, score } = setup();
    for (const [i, id] of ["a", "b"].entries()) {
      await store.executions.create({ id, workflow: "wf", createdAt: T0 + i, started: new Uint8Array([1]) });
    }
    const [a] = await store.queue.claim({
      owner: "w1",
      workflows: ["wf"],
      limit: 1,
      now: T0 + 5,
      leaseMs: LEASE_MS,
    });
    await store.queue.release(a!.lease, { status: "sleeping", dueAt: T0 + 3_600_000 }, T0 + 6);
    // A stale early hint for "a", as a crashed wake-up would leave.
    await index.sync(WF, "a", T0 - 1, undefined, T0 + 6);

    const claims = await store.queue.claim({
      owner: "w2",
      workflows: ["wf"],
      limit: 1,
      now: T0 + 7,
      leaseMs: LEASE_MS,
    });
    expect(claims.map((claim) => claim.record.id)).toEqual(["b"]);
    expect(await score("a")).toBe(T0 + 3_600_000);
  });

  it("puts back what it picked beyond the limit from another workflow", async () => {
    const { store, score } = setup();
    await store.executions.create({ id: "x", workflow: "wf", createdAt: T0, started: new Uint8Array([1]) });
    await store.executions.create({
      id: "y",
      workflow: "other",
      createdAt: T0 + 1,
      started: new Uint8Array([1]),
    });
    const claims = await store.queue.claim({
      owner: "w1",
      workflows: ["other", "wf"],
      limit: 1,
      now: T0 + 5,
      leaseMs: LEASE_MS,
    });
    expect(claims.map((claim) => claim.record.id)).toEqual(["x"]);
    expect(await score("y", "other")).toBe(T0 + 1);
    expect(await store.queue.nextDueAt(["other"])).toBe(T0 + 1);
  });
});
