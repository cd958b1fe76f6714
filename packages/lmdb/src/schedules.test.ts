import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkOneExecutionPerTick } from "@stepline/testing";
import { afterEach, beforeEach, describe, it } from "vitest";
import { lmdbStore } from "./lmdb-store.js";

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "stepline-schedules-"));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("schedules on LMDB, from three store handles", () => {
  it("three workers, each with its own handle on one directory, start exactly one execution per tick", async () => {
    const stores = [lmdbStore(dir), lmdbStore(dir), lmdbStore(dir)] as const;
    try {
      await checkOneExecutionPerTick(stores);
    } finally {
      for (const store of stores) await store.close();
    }
  }, 60_000);
});
