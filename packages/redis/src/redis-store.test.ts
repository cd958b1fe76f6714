import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { KeySpace } from "./keys.js";
import { redisStore } from "./redis-store.js";
import { deleteKeys } from "./testing/delete-keys.js";
import { type RedisServer, startRedisServer } from "./testing/redis-server.js";

const T0 = 1_000_000;
let server: RedisServer;
let admin: Redis;
let prefixes = 0;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  server = await startRedisServer();
  admin = new Redis(server.url);
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(async () => {
  await admin?.quit();
  await server?.stop();
});

function newPrefix() {
  const prefix = `s${++prefixes}`;
  cleanups.push(() => deleteKeys(admin, new KeySpace(prefix)));
  return prefix;
}

const started = (id: string) => new TextEncoder().encode(`ExecutionStarted ${id}`);

describe("redisStore", () => {
  it("sends the appends of many executions made in one tick in one pipeline; each caller gets its own result", async () => {
    const client = new Redis(server.url, { enableAutoPipelining: true });
    cleanups.push(() => client.quit());
    const store = redisStore(client, { prefix: newPrefix() });
    const ids = Array.from({ length: 50 }, (_, i) => `e${i}`);
    await Promise.all(
      ids.map((id) => store.executions.create({ id, workflow: "wf", createdAt: T0, started: started(id) })),
    );
    const claims = await store.queue.claim({
      owner: "w",
      workflows: ["wf"],
      limit: 50,
      now: T0,
      leaseMs: 30_000,
    });
    expect(claims).toHaveLength(50);

    const appends = claims.map((claim, i) =>
      store.journal.append(claim.lease, { expectedSeq: 1 + (i % 2), events: [new Uint8Array([i])] }, T0 + 1),
    );
    // All 50 EVALSHAs wait in the auto-pipeline queue: they leave together on the next tick.
    expect(client.autoPipelineQueueSize).toBe(50);
    const outcomes = await Promise.allSettled(appends);
    // Each caller waited for its own append: the odd ones had a wrong expectedSeq.
    expect(outcomes.map((outcome) => outcome.status)).toEqual(
      ids.map((_, i) => (i % 2 ? "rejected" : "fulfilled")),
    );
    expect((outcomes[0] as PromiseFulfilledResult<{ journalLength: number }>).value.journalLength).toBe(2);
  });

  it("wakes workers of another process: a create on one client reaches onWake listeners of another", async () => {
    const prefix = newPrefix();
    const writer = redisStore({ url: server.url, prefix });
    const reader = redisStore({ url: server.url, prefix });
    const other = redisStore({ url: server.url, prefix: newPrefix() });
    cleanups.push(
      () => writer.close(),
      () => reader.close(),
      () => other.close(),
    );
    let woken = 0;
    let otherWoken = 0;
    reader.onWake?.(() => woken++);
    other.onWake?.(() => otherWoken++);
    // The subscription is made on the first listener; let it reach the server.
    await new Promise((resolve) => setTimeout(resolve, 100));
    await writer.executions.create({ id: "e1", workflow: "wf", createdAt: T0, started: started("e1") });
    const deadline = Date.now() + 2_000;
    while (woken === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(woken).toBeGreaterThanOrEqual(1);
    expect(otherWoken).toBe(0);
  });

  it("tells other processes' result() callers when an execution ends", async () => {
    const prefix = newPrefix();
    const writer = redisStore({ url: server.url, prefix });
    const reader = redisStore({ url: server.url, prefix });
    cleanups.push(
      () => writer.close(),
      () => reader.close(),
    );
    const finished: string[] = [];
    reader.onFinished?.((id) => finished.push(id));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await writer.executions.create({ id: "e1", workflow: "wf", createdAt: T0, started: started("e1") });
    const [claim] = await writer.queue.claim({
      owner: "w",
      workflows: ["wf"],
      limit: 1,
      now: T0,
      leaseMs: 1_000,
    });
    if (!claim) throw new Error("setup: not claimed");
    await writer.journal.append(claim.lease, { expectedSeq: 1, events: [started("x")] }, T0 + 1);
    await writer.journal.append(
      claim.lease,
      { expectedSeq: 2, events: [started("end")], release: { status: "succeeded", dueAt: null } },
      T0 + 2,
    );
    const deadline = Date.now() + 2_000;
    while (finished.length === 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(finished).toEqual(["e1"]);
  });

  it("keeps stores with different prefixes apart on one server", async () => {
    const a = redisStore({ url: server.url, prefix: newPrefix() });
    const b = redisStore({ url: server.url, prefix: newPrefix() });
    cleanups.push(
      () => a.close(),
      () => b.close(),
    );
    await a.executions.create({ id: "same-id", workflow: "wf", createdAt: T0, started: started("a") });
    expect(await b.executions.get("same-id")).toBeUndefined();
    expect(await b.executions.list()).toEqual([]);
    expect(await b.queue.nextDueAt(["wf"])).toBeNull();
    expect(
      (await b.executions.create({ id: "same-id", workflow: "wf", createdAt: T0, started: started("b") }))
        .created,
    ).toBe(true);
  });

  it("closes a client it created, and leaves open one it was given", async () => {
    const given = new Redis(server.url);
    cleanups.push(() => given.quit());
    const store = redisStore(given, { prefix: newPrefix() });
    await store.close();
    await store.close();
    expect(await given.ping()).toBe("PONG");

    const owning = redisStore({ url: server.url, prefix: newPrefix() });
    await owning.executions.get("x");
    await owning.close();
    await expect(owning.executions.get("x")).rejects.toThrow(/closed/i);
  });

  it("has the server's clock: store.clock.now() follows TIME", async () => {
    const store = redisStore({ url: server.url, prefix: newPrefix() });
    cleanups.push(() => store.close());
    await store.clock.ready;
    const [seconds, micros] = await admin.time();
    const serverNow = Number(seconds) * 1000 + Number(micros) / 1000;
    expect(Math.abs(store.clock.now() - serverNow)).toBeLessThan(50);
  });

  it("refuses a prefix that would break the hash tags", () => {
    expect(() => redisStore({ url: server.url, prefix: "a}b" })).toThrow(/prefix "a}b"/);
  });
});
