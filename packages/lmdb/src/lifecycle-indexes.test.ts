import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ExecutionStatus, memoryStore, type Store } from "@stepline/core";
import fc from "fast-check";
import { open } from "lmdb";
import { afterEach, describe, expect, it } from "vitest";
import { lmdbStore } from "./lmdb-store.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "stepline-lifecycle-"));
  dirs.push(dir);
  return dir;
};

const WORKFLOWS = ["a", "b", "c"];
const STATUSES: ExecutionStatus[] = [
  "running",
  "sleeping",
  "waiting",
  "blocked",
  "succeeded",
  "failed",
  "cancelled",
  "terminated",
  "timed_out",
];
const bytes = (text: string) => new TextEncoder().encode(text);

/** An operation on execution `i` (of 6); a refused one (typed error) changes nothing. */
type Op =
  | { kind: "create"; i: number; w: number }
  | { kind: "end"; i: number; status: ExecutionStatus }
  | { kind: "terminate" | "send" | "cancel" | "resume" | "redrive" | "delete"; i: number }
  | { kind: "prune"; limit: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("create" as const), i: fc.nat(5), w: fc.nat(2) }),
  fc.record({ kind: fc.constant("end" as const), i: fc.nat(5), status: fc.constantFrom(...STATUSES) }),
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

async function apply(store: Store, op: Op, now: number): Promise<void> {
  const id = `e-${"i" in op ? op.i : 0}`;
  const tolerate = (promise: Promise<unknown>) =>
    promise.then(() => undefined, (error: { code?: string }) => {
      if (!String(error?.code).startsWith("STEPLINE_")) throw error;
    });
  switch (op.kind) {
    case "create":
      await store.executions.create({ id, workflow: WORKFLOWS[op.w]!, createdAt: now, started: bytes("s") });
      return;
    case "end": {
      const record = await store.executions.get(id);
      if (!record) return;
      const claims = await store.queue.claim({
        owner: "w",
        workflows: [record.workflow],
        limit: 10,
        now,
        leaseMs: 1,
      });
      for (const claim of claims) {
        const release =
          claim.record.id === id
            ? { status: op.status, dueAt: op.status === "sleeping" ? now + 10 : null }
            : { status: "running" as const, dueAt: now };
        await store.queue.release(claim.lease, release, now);
      }
      return;
    }
    case "terminate":
      return tolerate(store.executions.terminate(id, { event: bytes("t") }, now));
    case "send":
      return tolerate(store.inbox.send(id, bytes("e"), now));
    case "cancel":
      return tolerate(store.executions.requestCancel(id, undefined, now));
    case "resume":
      return tolerate(store.executions.resume(id, now));
    case "redrive": {
      const record = await store.executions.get(id);
      if (!record) return;
      return tolerate(
        store.executions.redrive(id, { expectedSeq: record.journalLength, event: bytes("r") }, now),
      );
    }
    case "delete":
      return tolerate(store.executions.delete(id, now));
    case "prune":
      await store.executions.pruneFinished(now - 5, op.limit);
      return;
  }
}

async function expectCountsMatchList(store: Store): Promise<void> {
  const all = await store.executions.list({ limit: 1000 });
  expect(await store.executions.count({})).toBe(all.length);
  for (const status of STATUSES) {
    expect(await store.executions.count({ status })).toBe(all.filter((r) => r.status === status).length);
    for (const workflow of WORKFLOWS) {
      expect(await store.executions.count({ status, workflow })).toBe(
        all.filter((r) => r.status === status && r.workflow === workflow).length,
      );
    }
  }
  for (const workflow of WORKFLOWS) {
    expect(await store.executions.count({ workflow })).toBe(
      all.filter((r) => r.workflow === workflow).length,
    );
  }
  // The finish-time index holds exactly the finished ones, oldest first.
  const finished = await store.executions.listFinished(Number.MAX_SAFE_INTEGER, 1000);
  expect(finished.map((r) => r.id).sort()).toEqual(
    all
      .filter((r) => ["succeeded", "failed", "cancelled", "terminated", "timed_out"].includes(r.status))
      .map((r) => r.id)
      .sort(),
  );
  const times = finished.map((r) => r.updatedAt);
  expect(times).toEqual([...times].sort((x, y) => x - y));
}

describe("counts and the finish-time index agree with list after any sequence of operations", () => {
  for (const [name, open] of [
    ["memoryStore", () => memoryStore()],
    ["lmdbStore", () => lmdbStore(tempDir())],
  ] as const) {
    it(name, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(opArb, { maxLength: 40 }), async (ops) => {
          const store = open();
          try {
            let now = 1_000;
            for (const op of ops) await apply(store, op, (now += 3));
            await expectCountsMatchList(store);
          } finally {
            await store.close();
          }
        }),
        { numRuns: name === "lmdbStore" ? 40 : 150 },
      );
    });
  }
});

describe("an LMDB store written before the lifecycle indexes", () => {
  it("gets them built on the first writable open; a read-only open counts by reading the records", async () => {
    const path = tempDir();
    const store = lmdbStore(path);
    for (const [i, workflow] of ["a", "a", "b"].entries()) {
      await store.executions.create({ id: `e-${i}`, workflow, createdAt: i, started: bytes("s") });
    }
    await store.executions.terminate("e-1", { event: bytes("t") }, 50);
    await store.close();
    // What a store of the previous release looks like: no counts, no finished, no meta flag.
    const raw = open({ path, maxDbs: 16 });
    await raw.openDB("counts", {}).drop();
    await raw.openDB("finished", { encoding: "binary" }).drop();
    await raw.openDB("meta", { encoding: "string" }).remove("lifecycle-indexes");
    await raw.close();

    const reader = lmdbStore(path, { readOnly: true });
    try {
      expect(await reader.executions.count({ workflow: "a" })).toBe(2);
      expect(await reader.executions.count({ status: "terminated" })).toBe(1);
      expect((await reader.executions.listFinished(100, 10)).map((r) => r.id)).toEqual(["e-1"]);
    } finally {
      await reader.close();
    }
    const writer = lmdbStore(path);
    try {
      await expectCountsMatchList(writer);
      expect(await writer.executions.count({ status: "running", workflow: "a" })).toBe(1);
      expect(await writer.executions.pruneFinished(100, 10)).toEqual(["e-1"]);
      expect(await writer.executions.count({})).toBe(2);
    } finally {
      await writer.close();
    }
  });
});
