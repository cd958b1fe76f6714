import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEngine, workflow } from "@stepline/core";
import { open } from "lmdb";
import { afterEach, describe, expect, it } from "vitest";
import { lmdbStore } from "./lmdb-store.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("a store written before worker announcements", () => {
  it("opens read-only without its workers database: lists, reads, and sees no worker", async () => {
    const path = mkdtempSync(join(tmpdir(), "stepline-legacy-"));
    dirs.push(path);
    const greet = workflow("greet", async (ctx, name: string) => ctx.step("hello", () => `hi ${name}`));
    const engine = createEngine({ store: lmdbStore(path), log: () => {} });
    const worker = engine.worker({ workflows: [greet] });
    await worker.start();
    expect(await (await engine.client.start(greet, "Ada", { id: "g-1" })).result({ timeout: "10s" })).toBe(
      "hi Ada",
    );
    await worker.stop();
    await engine.close();
    // What a store of the previous release looks like: no `workers` sub-database.
    const raw = open({ path, maxDbs: 16 });
    await raw.openDB("workers", { encoding: "binary" }).drop();
    await raw.close();

    const store = lmdbStore(path, { readOnly: true });
    try {
      const reader = createEngine({ store, log: () => {} });
      expect((await reader.client.list()).map((e) => [e.id, e.status])).toEqual([["g-1", "succeeded"]]);
      expect(await reader.client.result("g-1")).toBe("hi Ada");
      expect((await store.workers.lastSeen(["greet"])).size).toBe(0);
    } finally {
      await store.close();
    }
  });
});
