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
