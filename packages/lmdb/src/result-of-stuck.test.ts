import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CancelledError,
  createEngine,
  ExecutionBlockedError,
  StepFailedError,
  TerminalError,
  workflow,
} from "@stepline/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { lmdbStore } from "./lmdb-store.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "stepline-stuck-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const stuck = workflow("stuck", async (ctx, _input: null) => {
  await ctx.waitForEvent("go");
  await new Promise(() => {});
});
const failing = workflow("failing", async (ctx, _input: null) => {
  await ctx.waitForEvent("go");
  await ctx.step("charge", () => {
    throw new TerminalError("card declined");
  });
});

async function timedRejection(promise: Promise<unknown>): Promise<{ error: Error; ms: number }> {
  const started = Date.now();
  try {
    await promise;
  } catch (error) {
    return { error: error as Error, ms: Date.now() - started };
  }
  throw new Error("expected a rejection");
}

describe("result() on LMDB, from the worker's engine and from another store handle", () => {
  it("rejects promptly: blocked with ExecutionBlockedError, failed and cancelled with their errors", async () => {
    const store = lmdbStore(dir);
    // A second handle on the same files, as another process has: LMDB announces no finishes.
    const otherStore = lmdbStore(dir);
    const engine = createEngine({ store, pollInterval: 100, log: () => {} });
    const observer = createEngine({ store: otherStore, pollInterval: 100, log: () => {} });
    const worker = engine.worker({ workflows: [stuck, failing], leaseMs: 1_000 });
    await worker.start();
    try {
      const blocked = await engine.client.start(stuck, null, { id: "blocked-1" });
      const cancelled = await engine.client.start(stuck, null, { id: "cancelled-1" });
      const failed = await engine.client.start(failing, null, { id: "failed-1" });
      for (const run of [blocked, cancelled, failed]) {
        while ((await run.describe()).status !== "waiting") await new Promise((r) => setTimeout(r, 10));
      }
      const waits = [blocked, cancelled, failed].flatMap((run) => [
        timedRejection(run.result({ timeout: "30s" })),
        timedRejection(observer.client.result(run.id, { timeout: "30s" })),
      ]);
      await blocked.sendEvent("go");
      await failed.sendEvent("go");
      await cancelled.cancel("no longer needed");
      const results = await Promise.all(waits);
      for (const { error, ms } of results.slice(0, 2)) {
        expect(ExecutionBlockedError.is(error)).toBe(true);
        expect((error as ExecutionBlockedError).executionId).toBe("blocked-1");
        expect((error as ExecutionBlockedError).reason).toMatch(/not a Stepline operation/);
        expect(ms).toBeLessThan(2_000);
      }
      for (const { error, ms } of results.slice(2, 4)) {
        expect(CancelledError.is(error)).toBe(true);
        expect(ms).toBeLessThan(2_000);
      }
      for (const { error, ms } of results.slice(4)) {
        expect(StepFailedError.is(error)).toBe(true);
        expect(error.message).toMatch(/card declined/);
        expect(ms).toBeLessThan(2_000);
      }
      // Asked after the fact, it rejects at once.
      const late = await timedRejection(observer.client.result("blocked-1", { timeout: "30s" }));
      expect(ExecutionBlockedError.is(late.error)).toBe(true);
      expect(late.ms).toBeLessThan(500);
    } finally {
      await worker.stop();
      await otherStore.close();
      await store.close();
    }
  });
});
