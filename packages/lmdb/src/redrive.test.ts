import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEngine, RedriveRefusedError, workflow } from "@stepline/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { lmdbStore } from "./lmdb-store.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "stepline-redrive-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("redrive on lmdbStore", () => {
  it("redrives a failed execution twice, across a reopened store: the failed step runs again, earlier ones do not", async () => {
    const provider = { down: true };
    const runs = { reserve: 0, charge: 0 };
    const order = workflow("redriveOrder", async (ctx, total: number) => {
      const hold = await ctx.step("reserve", () => `hold-${++runs.reserve}`);
      const receipt = await ctx.step(
        "charge",
        () => {
          runs.charge++;
          if (provider.down) throw new Error("provider down");
          return `charged ${total}`;
        },
        { retry: { maxAttempts: 1 } },
      );
      return { hold, receipt };
    });
    const first = createEngine({ store: lmdbStore(dir), log: () => {}, pollInterval: 20 });
    const worker = first.worker({ workflows: [order], leaseMs: 5_000 });
    await worker.start();
    const run = await first.client.start(order, 42, { id: "redrive-1" });
    await run.result({ timeout: "10s" }).catch(() => {});
    await run.redrive();
    await run.result({ timeout: "10s" }).catch(() => {});
    expect((await run.describe()).status).toBe("failed");
    await worker.stop();
    await first.close();

    // Another process (here: another store on the directory) redrives it; a new worker carries on.
    provider.down = false;
    const second = createEngine({ store: lmdbStore(dir), log: () => {}, pollInterval: 20 });
    const secondWorker = second.worker({ workflows: [order], leaseMs: 5_000 });
    try {
      await second.client.redrive("redrive-1", { reason: "provider is back" });
      expect((await second.client.describe("redrive-1")).status).toBe("running");
      await secondWorker.start();
      expect(await second.client.result("redrive-1", { timeout: "10s" })).toEqual({
        hold: "hold-1",
        receipt: "charged 42",
      });
      expect(runs).toEqual({ reserve: 1, charge: 3 });
      const history = await second.client.history("redrive-1");
      expect(history.map((e) => e.seq)).toEqual(history.map((_, i) => i));
      expect(history.filter((e) => e.type === "ExecutionRedriven")).toHaveLength(2);
      const refused = await second.client.redrive("redrive-1").catch((error: unknown) => error);
      expect(RedriveRefusedError.is(refused)).toBe(true);
      expect((refused as Error).message).toContain("it has succeeded");
    } finally {
      await secondWorker.stop();
      await second.close();
    }
  });
});
