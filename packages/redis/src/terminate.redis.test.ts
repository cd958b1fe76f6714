import { CancelledError, createEngine, LeaseLostError, workflow } from "@stepline/core";
import { describe, expect, it } from "vitest";
import { KeySpace } from "./keys.js";
import { redisStore } from "./redis-store.js";
import { deleteKeys } from "./testing/delete-keys.js";
import { useRedisServer } from "./testing/use-redis-server.js";

const redis = useRedisServer();

async function until(condition: () => boolean | Promise<boolean>, what: string, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("client.terminate across engines on redisStore", () => {
  it("aborts the signal of a step running under another engine's worker, and no code runs after", async () => {
    const prefix = "terminate-across";
    const seen = { started: false, aborted: undefined as unknown, after: 0 };
    const slow = workflow("slow-across", async (ctx) => {
      try {
        await ctx.step("wait-for-abort", (info) => {
          seen.started = true;
          return new Promise((_, reject) => {
            info.signal.addEventListener("abort", () => {
              seen.aborted = info.signal.reason;
              reject(info.signal.reason);
            });
          });
        });
      } finally {
        seen.after++;
      }
    });
    // Two stores, two engines: the terminating client shares nothing in memory with the worker.
    const workerStore = redisStore({ url: redis.server.url, prefix });
    const clientStore = redisStore({ url: redis.server.url, prefix });
    const workerEngine = createEngine({ store: workerStore, log: () => {}, pollInterval: 20 });
    const clientEngine = createEngine({ store: clientStore, log: () => {}, pollInterval: 20 });
    const worker = workerEngine.worker({ workflows: [slow], leaseMs: 900 });
    try {
      await worker.start();
      const run = await clientEngine.client.start(slow, undefined, { id: "across-1" });
      await until(() => seen.started, "the step runs");
      await clientEngine.client.terminate("across-1", { reason: "from elsewhere" });
      // The worker learns at its next renewal (every leaseMs / 3).
      await until(() => seen.aborted !== undefined, "the step's signal aborts");
      expect(LeaseLostError.is(seen.aborted)).toBe(true);
      const error = await run.result({ timeout: "5s" }).catch((e: Error) => e);
      expect(CancelledError.is(error)).toBe(true);
      expect((error as Error).message).toBe('Execution "across-1" was terminated: from elsewhere.');
      await new Promise((resolve) => setTimeout(resolve, 100));
      const history = await run.history();
      // StepScheduled is journaled only if its flush (20 ms) came before the terminate.
      const types = history.map((e) => e.type).filter((type) => type !== "StepScheduled");
      expect(types).toEqual(["ExecutionStarted", "ExecutionTerminated"]);
      expect(seen.after).toBe(0);
    } finally {
      await worker.stop();
      await workerEngine.close();
      await clientEngine.close();
      await deleteKeys(redis.admin, new KeySpace(prefix));
    }
  });
});
