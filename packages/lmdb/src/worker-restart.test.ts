import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEngine, workflow } from "@stepline/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { lmdbStore } from "./lmdb-store.js";

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "stepline-restart-"));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const LEASE_MS = 300;

describe("a worker stopped and started again, on LMDB", () => {
  it("renews its leases through a step four leases long: the body runs once, no other worker takes it", async () => {
    const store = lmdbStore(dir);
    const engine = createEngine({ store, pollInterval: 20, log: () => {} });
    let runs = 0;
    const long = workflow("long", async (ctx, _input: null) =>
      ctx.step("long", async () => {
        runs++;
        await new Promise((resolve) => setTimeout(resolve, 4 * LEASE_MS));
        return "done";
      }),
    );
    const restarted = engine.worker({ workflows: [long], leaseMs: LEASE_MS, id: "restarted" });
    const other = engine.worker({ workflows: [long], leaseMs: LEASE_MS, id: "other" });
    try {
      await restarted.start();
      await restarted.stop();
      await restarted.start();
      const run = await engine.client.start(long, null);
      while (runs === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      const claimedAt = Date.now();
      await other.start();
      await new Promise((resolve) => setTimeout(resolve, 2 * LEASE_MS));
      const record = await store.executions.get(run.id);
      expect(record?.leaseOwner).toBe("restarted");
      // Renewed: the lease now ends later than the first one did.
      expect(record?.dueAt).toBeGreaterThan(claimedAt + LEASE_MS);
      expect(await run.result({ timeout: 5_000 })).toBe("done");
      expect(runs).toBe(1);
      const scheduled = (await run.history()).filter((e) => e.type === "StepScheduled");
      expect(scheduled).toHaveLength(1);
    } finally {
      await Promise.all([restarted.stop(), other.stop()]);
      await store.close();
    }
  });
});
