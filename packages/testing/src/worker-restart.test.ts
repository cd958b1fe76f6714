import { createEngine, memoryStore, workflow } from "@stepline/core";
import { describe, expect, it } from "vitest";
import { fakeClock } from "./fake-clock.js";

const LEASE_MS = 300;

describe("a worker stopped and started again", () => {
  it("renews the leases of a step longer than the lease: no other worker takes it over, the body runs once", async () => {
    const clock = fakeClock();
    const store = memoryStore();
    const engine = createEngine({ store, clock, pollInterval: 3_600_000, log: () => {} });
    let runs = 0;
    let finish!: () => void;
    const gate = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const long = workflow("long", async (ctx, _input: null) => {
      return ctx.step("long", async () => {
        runs++;
        await gate;
        return "done";
      });
    });
    const restarted = engine.worker({ workflows: [long], leaseMs: LEASE_MS, id: "restarted" });
    // Three rounds of start/stop: each must leave the worker as good as new.
    for (let round = 0; round < 3; round++) {
      await restarted.start();
      await restarted.stop();
    }
    await restarted.start();
    const run = await engine.client.start(long, null);
    await clock.advance(1);
    expect(runs).toBe(1);
    const other = engine.worker({ workflows: [long], leaseMs: LEASE_MS, id: "other" });
    await other.start();
    try {
      // Ten leases long: without renewals the other worker claims it after one.
      for (let t = 0; t < 10; t++) await clock.advance(LEASE_MS);
      const record = await store.executions.get(run.id);
      expect(record?.leaseOwner).toBe("restarted");
      expect(record?.token).toBe(1);
      expect(record?.dueAt).toBeGreaterThan(clock.now());
      finish();
      await clock.advance(1);
      expect(await run.result()).toBe("done");
      expect(runs).toBe(1);
    } finally {
      finish();
      const stopping = Promise.all([restarted.stop(), other.stop()]);
      await clock.advance(LEASE_MS);
      await stopping;
    }
  });

  it("waits for a stop in progress before starting again", async () => {
    const clock = fakeClock();
    const engine = createEngine({ store: memoryStore(), clock, pollInterval: 3_600_000, log: () => {} });
    const quick = workflow("quick", async (ctx, n: number) => ctx.step("double", () => n * 2));
    const worker = engine.worker({ workflows: [quick], leaseMs: LEASE_MS });
    await worker.start();
    const stopping = worker.stop();
    const starting = worker.start();
    await stopping;
    await starting;
    const run = await engine.client.start(quick, 21);
    await clock.advance(1);
    expect(await run.result()).toBe(42);
    const stopped = worker.stop();
    await clock.advance(LEASE_MS);
    await stopped;
  });
});
