import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEngine, InvalidArgumentError, workflow } from "@stepline/core";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lmdbStore } from "./lmdb-store.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "stepline-lmdb-ids-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Any UTF-16 code units: lone surrogates, controls, separators, astral pairs. */
const anyText = fc.string({
  unit: fc.oneof(
    fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)),
    fc.constantFrom("a", "-", "/", "#", "é", "😀", "\uD83D", "\u2028", "\u0000"),
  ),
  maxLength: 40,
});

describe("ids on LMDB", () => {
  it("client.start refuses an id with InvalidArgumentError, or the store gives back exactly that id", async () => {
    const store = lmdbStore(join(dir, "store"));
    const engine = createEngine({ store, log: () => {} });
    const greet = workflow("greet", async () => "hi");
    try {
      await fc.assert(
        fc.asyncProperty(anyText, async (id) => {
          let handle: { id: string } | undefined;
          try {
            handle = await engine.client.start(greet, undefined, { id, ifExists: "use-existing" });
          } catch (error) {
            expect(InvalidArgumentError.is(error), String(error)).toBe(true);
            return;
          }
          const description = await engine.client.describe(handle.id);
          expect(description.id).toBe(id);
          expect((await engine.client.history(id))[0]).toMatchObject({ type: "ExecutionStarted" });
        }),
        { numRuns: 300 },
      );
      // Every execution kept is listed under the id it was started with.
      for (const execution of await engine.client.list({ limit: 1000 })) {
        expect((await engine.client.describe(execution.id)).id).toBe(execution.id);
      }
    } finally {
      await store.close();
    }
  });
});
