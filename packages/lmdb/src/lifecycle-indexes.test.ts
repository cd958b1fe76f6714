import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { memoryStore } from "@stepline/core";
import {
  applyCountOperation,
  COUNT_STATUSES,
  type CountOperation,
  expectIndexesMatchList,
} from "@stepline/testing";
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
            for (const [i, op] of ops.entries()) await applyCountOperation(store, op, 1_000 + 3 * i);
            await expectIndexesMatchList(store);
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
      await expectIndexesMatchList(writer);
      expect(await writer.executions.count({ status: "running", workflow: "a" })).toBe(1);
      expect(await writer.executions.pruneFinished(100, 10)).toEqual(["e-1"]);
      expect(await writer.executions.count({})).toBe(2);
    } finally {
      await writer.close();
    }
  });
});
