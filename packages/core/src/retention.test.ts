import { describe, expect, it } from "vitest";
import {
  type Clock,
  createEngine,
  ExecutionNotFinishedError,
  ExecutionNotFoundError,
  InvalidArgumentError,
  memoryStore,
  RETENTION_BATCH,
  RETENTION_EVERY_MS,
  workflow,
} from "./index.js";
import { newEngine, rejection, startWorker, waitUntil } from "./testing/engine-kit.js";

const DAY = 86_400_000;

/** A clock the test moves: sleepers wake when `advance` passes their time. */
function manualClock(start: number) {
  let now = start;
  const sleepers: { at: number; resolve: () => void }[] = [];
  const clock: Clock = {
    now: () => now,
    sleep(ms, signal) {
      return new Promise((resolve) => {
        const sleeper = { at: now + ms, resolve: () => resolve() };
        sleepers.push(sleeper);
        signal?.addEventListener("abort", () => resolve(), { once: true });
      });
    },
  };
  return {
    clock,
    sleeping: () => sleepers.length,
    advance(ms: number) {
      now += ms;
      for (const sleeper of sleepers.splice(0)) {
        if (sleeper.at <= now) sleeper.resolve();
        else sleepers.push(sleeper);
      }
    },
  };
}

describe("createEngine({ retention })", () => {
  it("deletes finished executions once they are older than the retention, every minute, in batches", async () => {
    const time = manualClock(1_000 * DAY);
    const store = memoryStore();
    const engine = createEngine({ store, clock: time.clock, retention: "30d", log: () => {} });
    try {
      const started = new Uint8Array([0x90]);
      // 250 finished at day 1000, one finished a day later, one still running.
      const total = 2 * RETENTION_BATCH + 50;
      for (let i = 0; i < total + 2; i++) {
        const id = `e-${i}`;
        await store.executions.create({ id, workflow: "w", createdAt: time.clock.now(), started });
      }
      for (let i = 0; i < total + 1; i++) {
        if (i === total) time.advance(DAY);
        await store.executions.terminate(`e-${i}`, { event: started }, time.clock.now());
      }
      expect(await store.executions.count({ status: "terminated" })).toBe(total + 1);

      // Now day 1001. At day 1029 nothing is 30 days old: a round runs and deletes nothing.
      await waitUntil(() => time.sleeping() > 0, "the retention loop sleeps");
      time.advance(28 * DAY);
      await waitUntil(() => time.sleeping() > 0, "the round ends");
      expect(await store.executions.count({})).toBe(total + 2);

      // Past day 1030: the 250 that finished at day 1000 go, in three batches of one round.
      time.advance(DAY + RETENTION_EVERY_MS);
      await waitUntil(async () => (await store.executions.count({})) === 2, "the old ones are deleted");
      expect((await store.executions.list({})).map((r) => r.id).sort()).toEqual([
        `e-${total}`,
        `e-${total + 1}`,
      ]);
      // A day later the next one goes; the running one stays.
      time.advance(DAY);
      await waitUntil(async () => (await store.executions.count({})) === 1, "the next one is deleted");
      expect((await store.executions.list({})).map((r) => r.id)).toEqual([`e-${total + 1}`]);
    } finally {
      await engine.close();
    }
  });

  it("refuses a retention that is not a positive duration", () => {
    for (const retention of [0, "-1d", "soon", true]) {
      let error: unknown;
      try {
        createEngine({ store: memoryStore(), retention: retention as "30d" });
      } catch (e) {
        error = e;
      }
      expect(InvalidArgumentError.is(error), String(retention)).toBe(true);
      expect((error as Error).message).toContain("createEngine: retention");
    }
  });
});

describe("client.delete and client.count", () => {
  it("deletes a finished execution, refuses a live one, and counts by status and workflow", async () => {
    const { engine } = newEngine();
    const quick = workflow("quick", async () => "done");
    const waits = workflow("waits", async (ctx) => ctx.waitForEvent("go"));
    await startWorker(engine, { workflows: [quick, waits] });
    const done = await engine.client.start(quick, undefined, { id: "q-1" });
    await done.result();
    const live = await engine.client.start(waits, undefined, { id: "w-1" });
    await waitUntil(async () => (await live.describe()).status === "waiting", "it waits");

    expect(await engine.client.count()).toBe(2);
    expect(await engine.client.count({ status: "succeeded" })).toBe(1);
    expect(await engine.client.count({ workflow: "waits", status: "waiting" })).toBe(1);
    expect(await engine.client.count({ workflow: "nope" })).toBe(0);

    const refused = await rejection(engine.client.delete("w-1"));
    expect(ExecutionNotFinishedError.is(refused)).toBe(true);
    expect(refused.message).toBe(
      'Cannot delete execution "w-1": it is waiting, and only finished executions can be deleted. ' +
        "Cancel it (client.cancel, `stepline cancel`) or terminate it (client.terminate, `stepline terminate`) first. " +
        "See docs/operations.md.",
    );
    await engine.client.delete("q-1");
    expect(ExecutionNotFoundError.is(await rejection(done.describe()))).toBe(true);
    expect(ExecutionNotFoundError.is(await rejection(engine.client.delete("q-1")))).toBe(true);
    expect(await engine.client.count()).toBe(1);

    await live.terminate();
    await engine.client.delete("w-1");
    expect(await engine.client.count()).toBe(0);
  });

  it("refuses a bad count filter with a typed error", async () => {
    const { engine } = newEngine();
    const bad = await rejection(engine.client.count({ status: "done" as "running" }));
    expect(InvalidArgumentError.is(bad)).toBe(true);
    expect(bad.message).toContain("client.count: status");
    const badWorkflow = await rejection(engine.client.count({ workflow: 7 as unknown as string }));
    expect(InvalidArgumentError.is(badWorkflow)).toBe(true);
  });
});
