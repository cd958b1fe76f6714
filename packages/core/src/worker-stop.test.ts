import { describe, expect, it } from "vitest";
import { workflow } from "./index.js";
import { deferred, newEngine, startWorker, waitUntil } from "./testing/engine-kit.js";

describe("a graceful stop()", () => {
  it("hands back every execution it holds, so a new worker claims them at once, not after the lease", async () => {
    const { engine, store } = newEngine();
    const bodyStarted = deferred();
    const napping = workflow("napping", async (ctx, _input: null) => {
      await ctx.sleep("nap", "800ms"); // held in memory: due within a second
      return "napped";
    });
    const waiting = workflow("waiting", async (ctx, _input: null) => {
      try {
        return await ctx.waitForEvent("reply", { timeout: "900ms" }); // held in memory too
      } catch {
        return "timed out";
      }
    });
    const stepping = workflow("stepping", async (ctx, _input: null) =>
      ctx.step("work", async () => {
        bodyStarted.resolve();
        await new Promise((resolve) => setTimeout(resolve, 200));
        return "worked";
      }),
    );
    const workflows = [napping, waiting, stepping];
    // A lease of a minute: only a release lets another worker in within the test.
    const first = engine.worker({ workflows, leaseMs: 60_000, id: "first" });
    await first.start();
    const runs = [
      await engine.client.start(napping, null),
      await engine.client.start(waiting, null),
      await engine.client.start(stepping, null),
    ];
    await bodyStarted.promise;
    await waitUntil(async () => {
      const records = await Promise.all(runs.map((run) => store.executions.get(run.id)));
      return records.every((r) => r?.leaseOwner === "first" && r.journalLength >= 2);
    }, "the first worker holds all three");
    await first.stop();

    const now = Date.now();
    for (const run of runs) {
      const record = await store.executions.get(run.id);
      expect(record?.leaseOwner).toBeNull();
      if (record?.status !== "succeeded") expect(record?.dueAt).toBeLessThanOrEqual(now + 1_000);
    }
    const stoppedAt = Date.now();
    await startWorker(engine, { workflows, leaseMs: 60_000, id: "second" });
    expect(await Promise.all(runs.map((run) => run.result({ timeout: "5s" })))).toEqual([
      "napped",
      "timed out",
      "worked",
    ]);
    expect(Date.now() - stoppedAt).toBeLessThan(2_000);
  });
});
