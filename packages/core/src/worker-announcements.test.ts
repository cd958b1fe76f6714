import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createEngine, memoryStore, UnknownWorkflowError, workflow } from "./index.js";
import type { Clock } from "./scheduler.js";
import { newEngine, rejection, sleep, startWorker, waitUntil } from "./testing/engine-kit.js";
import { ANNOUNCE_EVERY_MS, WORKER_SEEN_WINDOW_MS } from "./worker-announcements.js";

/** A clock the test moves forward by hand; its sleeps take a few real ms, so loops run on. */
function shiftedClock() {
  let offset = 0;
  const clock: Clock = {
    now: () => Date.now() + offset,
    sleep: (ms, signal) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(ms, 5));
        signal?.addEventListener("abort", () => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
  const advance = (ms: number) => {
    offset += ms;
  };
  return { clock, advance };
}

const greet = workflow("greet", async (ctx, name: string) => ctx.step("hello", () => `hello ${name}`));

describe("workers.announce", () => {
  it("keeps, for any sequence of announcements, the newest one of each workflow", async () => {
    const announcement = fc.record({
      workerId: fc.constantFrom("w1", "w2", "w 3"),
      workflows: fc.uniqueArray(fc.constantFrom("orders", "refunds", "{q}", "é"), { maxLength: 3 }),
      at: fc.integer({ min: 0, max: 50 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(announcement, { maxLength: 12 }), async (announcements) => {
        const store = memoryStore();
        const expected = new Map<string, { workerId: string; at: number }>();
        for (const { workerId, workflows, at } of announcements) {
          await store.workers.announce(workerId, workflows, at);
          for (const workflow of workflows) {
            const kept = expected.get(workflow);
            if (!kept || kept.at <= at) expected.set(workflow, { workerId, at });
          }
        }
        expect(await store.workers.lastSeen(["orders", "refunds", "{q}", "é", "never"])).toEqual(expected);
      }),
    );
  });
});

describe("work nobody can run", () => {
  it("client.start refuses an unknown name when the engine knows its workflows, and writes nothing", async () => {
    const store = memoryStore();
    const engine = createEngine({ store, workflows: [greet], log: () => {} });
    const error = await rejection(engine.client.start("gret", "Ada", { id: "typo-1" }));
    expect(UnknownWorkflowError.is(error)).toBe(true);
    expect(error.message).toContain('No workflow named "gret" is registered (registered: greet)');
    expect(await store.executions.get("typo-1")).toBeUndefined();
    // A worker registered in the engine makes its workflows known the same way.
    const { engine: withWorker, store: other } = newEngine();
    withWorker.worker({ workflows: [greet] });
    expect(UnknownWorkflowError.is(await rejection(withWorker.client.start("gret", "Ada")))).toBe(true);
    expect(await other.executions.list()).toEqual([]);
  });

  it("describe and list say when no worker has announced an execution's workflow", async () => {
    const { engine, store } = newEngine();
    const typo = await engine.client.start("nopeWorkflow", null, { id: "nope-1" });
    expect(await typo.describe()).toMatchObject({ status: "running", noWorker: true, workerSeenAt: null });

    await startWorker(engine, { workflows: [greet] });
    const run = await engine.client.start(greet, "Ada", { id: "greet-1" });
    expect(await run.result({ timeout: 5_000 })).toBe("hello Ada");
    const seen = (await store.workers.lastSeen(["greet"])).get("greet");
    expect(seen?.workerId).toMatch(/^worker-/);
    const listed = await engine.client.list();
    expect(listed.map((e) => [e.id, e.noWorker, e.workerSeenAt === null])).toEqual([
      ["greet-1", false, false],
      ["nope-1", true, true],
    ]);
  });

  it("a workflow whose workers stopped announcing drops out after the window; a live worker keeps announcing", async () => {
    const { clock, advance } = shiftedClock();
    const store = memoryStore();
    const engine = createEngine({ store, clock, log: () => {}, pollInterval: 20 });
    await store.workers.announce("old-worker", ["stale"], clock.now());
    const { record } = await store.executions.create({
      id: "stale-1",
      workflow: "stale",
      createdAt: clock.now(),
      started: new Uint8Array([0]),
    });
    expect(record.status).toBe("running");
    expect((await engine.client.describe("stale-1")).noWorker).toBe(false);
    const announcedAt = (await store.workers.lastSeen(["stale"])).get("stale")?.at as number;
    advance(WORKER_SEEN_WINDOW_MS + 1);
    const late = await engine.client.describe("stale-1");
    expect(late.noWorker).toBe(true);
    expect(late.workerSeenAt?.getTime()).toBe(announcedAt);

    // A running worker announces again every ANNOUNCE_EVERY_MS.
    const worker = engine.worker({ workflows: [greet] });
    await worker.start();
    const first = (await store.workers.lastSeen(["greet"])).get("greet")?.at as number;
    await sleep(20);
    expect((await store.workers.lastSeen(["greet"])).get("greet")?.at).toBe(first);
    advance(ANNOUNCE_EVERY_MS);
    await waitUntil(
      async () =>
        ((await store.workers.lastSeen(["greet"])).get("greet")?.at as number) >= first + ANNOUNCE_EVERY_MS,
      "the worker announces again",
    );
    await worker.stop();
  });
});
