import {
  applyCountOperation,
  COUNT_STATUSES,
  type CountOperation,
  expectIndexesMatchList,
} from "@stepline/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { KeySpace } from "./keys.js";
import { redisStore } from "./redis-store.js";
import { deleteKeys } from "./testing/delete-keys.js";
import { useRedisServer } from "./testing/use-redis-server.js";

const redis = useRedisServer();

const bytes = (text: string) => new TextEncoder().encode(text);

const opArb: fc.Arbitrary<CountOperation> = fc.oneof(
  fc.record({ kind: fc.constant("create" as const), i: fc.nat(5), w: fc.nat(2) }),
  fc.record({ kind: fc.constant("end" as const), i: fc.nat(5), status: fc.constantFrom(...COUNT_STATUSES) }),
  fc.record({
    kind: fc.constantFrom(
      "terminate" as const,
      "send" as const,
      "cancel" as const,
      "resume" as const,
      "redrive" as const,
      "delete" as const,
    ),
    i: fc.nat(5),
  }),
  fc.record({ kind: fc.constant("prune" as const), limit: fc.integer({ min: 0, max: 3 }) }),
);

let prefixes = 0;

describe("the Redis store's count and finish-time indexes", () => {
  it("agree with list after any sequence of operations", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 30 }), async (ops) => {
        const prefix = `count-prop-${prefixes++}`;
        const store = redisStore({ url: redis.server.url, prefix }, { log: () => {} });
        try {
          for (const [i, op] of ops.entries()) await applyCountOperation(store, op, 1_000 + 3 * i);
          await expectIndexesMatchList(store);
        } finally {
          await store.close();
          await deleteKeys(redis.admin, new KeySpace(prefix));
        }
      }),
      { numRuns: 25 },
    );
  });

  it("agree with list when two processes change the same executions, steps appended under leases included", async () => {
    // Each store skips the sync of a change that follows its own previous one with the
    // status kept (lifecycle-index.ts); the other store's changes in between must break that chain.
    type Steps = { kind: "steps"; i: number; n: number; status: "running" | "sleeping" | "succeeded" };
    const stepsArb: fc.Arbitrary<Steps> = fc.record({
      kind: fc.constant("steps" as const),
      i: fc.nat(3),
      n: fc.integer({ min: 1, max: 3 }),
      status: fc.constantFrom("running" as const, "sleeping" as const, "succeeded" as const),
    });
    const stepArb = fc.record({ via: fc.nat(1), op: fc.oneof(opArb, stepsArb, stepsArb) });
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { maxLength: 30 }), async (ops) => {
        const prefix = `count-two-${prefixes++}`;
        const stores = [0, 1].map(() => redisStore({ url: redis.server.url, prefix }, { log: () => {} }));
        try {
          for (const [i, { via, op }] of ops.entries()) {
            const store = stores[via]!;
            const now = 1_000 + 3 * i;
            if (op.kind !== "steps") {
              await applyCountOperation(store, op, now);
              continue;
            }
            const id = `e-${op.i}`;
            const record = await store.executions.get(id);
            if (!record) continue;
            const [claim] = (
              await store.queue.claim({
                owner: `w${via}`,
                workflows: [record.workflow],
                limit: 10,
                now,
                leaseMs: 1,
              })
            ).filter((c) => c.record.id === id);
            if (!claim) continue;
            let seq = claim.record.journalLength;
            for (let k = 0; k < op.n; k++) {
              await store.journal.append(
                claim.lease,
                { expectedSeq: seq, events: [bytes(`step ${k}`)] },
                now,
              );
              seq++;
            }
            const dueAt = op.status === "succeeded" ? null : now + (op.status === "sleeping" ? 10 : 0);
            await store.queue.release(claim.lease, { status: op.status, dueAt }, now);
          }
          await expectIndexesMatchList(stores[0]!);
          await expectIndexesMatchList(stores[1]!);
        } finally {
          for (const store of stores) await store.close();
          await deleteKeys(redis.admin, new KeySpace(prefix));
        }
      }),
      { numRuns: 25 },
    );
  });

  it("sync a change whose status is this process's last one when another process changed it in between", async () => {
    const prefix = "count-chain";
    const [a, b] = [0, 1].map(() => redisStore({ url: redis.server.url, prefix }, { log: () => {} })) as [
      ReturnType<typeof redisStore>,
      ReturnType<typeof redisStore>,
    ];
    try {
      await a.executions.create({ id: "e", workflow: "w", createdAt: 1_000, started: bytes("s") }); // a: running
      const [claim] = await b.queue.claim({ owner: "b", workflows: ["w"], limit: 1, now: 1_001, leaseMs: 1 });
      await b.queue.release(claim!.lease, { status: "sleeping", dueAt: 5_000 }, 1_001); // b: sleeping
      await a.inbox.send("e", bytes("event"), 1_002); // a: running again, as its last change was
      expect((await a.executions.get("e"))?.status).toBe("running");
      expect(await a.executions.count({ status: "running" })).toBe(1);
      expect(await a.executions.count({ status: "sleeping" })).toBe(0);
      await expectIndexesMatchList(a);
    } finally {
      await a.close();
      await b.close();
      await deleteKeys(redis.admin, new KeySpace(prefix));
    }
  });

  it("are built from the records, once, for a store written before they existed", async () => {
    const prefix = "count-legacy";
    const keys = new KeySpace(prefix);
    const store = redisStore({ url: redis.server.url, prefix }, { log: () => {} });
    try {
      for (const [i, workflow] of ["a", "a", "b"].entries()) {
        await store.executions.create({ id: `e-${i}`, workflow, createdAt: i, started: bytes("s") });
      }
      await store.executions.terminate("e-1", { event: bytes("t") }, 50);
      expect(await store.executions.count({ workflow: "a" })).toBe(2);
      // What a store of the previous release looks like: none of the index keys.
      const k = keys.lifecycle();
      await redis.admin.del(k.members, k.counts, k.finished, k.built);
      const reopened = redisStore({ url: redis.server.url, prefix }, { log: () => {} });
      try {
        expect(await reopened.executions.count({ workflow: "a" })).toBe(2);
        expect(await reopened.executions.count({ status: "terminated" })).toBe(1);
        expect(await redis.admin.get(k.built)).toBe("1");
        await expectIndexesMatchList(reopened);
        expect(await reopened.executions.pruneFinished(100, 10)).toEqual(["e-1"]);
        expect(await reopened.executions.count({})).toBe(2);
      } finally {
        await reopened.close();
      }
    } finally {
      await store.close();
      await deleteKeys(redis.admin, keys);
    }
  });
});
