import { createEngine, type Engine, type Store, type Worker, workflow } from "@stepline/core";
import { expect } from "vitest";
import type { ConformanceCase } from "./conformance-case.js";

/** What every tick starts: one step that records which execution ran it. */
function tickTarget(ran: string[]) {
  return workflow("scheduledTick", async (ctx, _: null) => {
    await ctx.step("record", () => {
      ran.push(ctx.executionId);
    });
    return ctx.executionId;
  });
}

async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const SECOND = 1_000;

/**
 * Three engines, one worker each, on `stores` (one store thrice, or three connections
 * to one store): a schedule ticking every second starts exactly one execution per
 * tick, also across a stop of every worker for more than two ticks (caught up).
 *
 * @example
 * await checkOneExecutionPerTick([redisStore(opts), redisStore(opts), redisStore(opts)]);
 */
export async function checkOneExecutionPerTick(stores: readonly [Store, Store, Store]): Promise<void> {
  const store = stores[0];
  const ran: string[] = [];
  const target = tickTarget(ran);
  const engines: Engine[] = stores.map((s) => createEngine({ store: s, pollInterval: 20, log: () => {} }));
  const workers: Worker[] = engines.map((engine, i) =>
    engine.worker({ workflows: [target], leaseMs: 600, id: `schedule-worker-${i}` }),
  );
  const [first] = engines as [Engine];
  const started = async () => (await first.client.list({ workflow: "scheduledTick" })).map((e) => e.id);
  try {
    for (const worker of workers) await worker.start();
    const before = store.clock?.now() ?? Date.now();
    // Created from every engine at once: one schedule execution whatever the race.
    await Promise.all(
      engines.map((engine) =>
        engine.schedules.create("tick", {
          workflow: target,
          every: "1s",
          input: null,
          overlap: "allow",
          catchupWindow: "1m",
        }),
      ),
    );
    const createdAt = store.clock?.now() ?? Date.now();
    await until(async () => (await started()).length >= 2, "two ticks started");
    // Every worker down for more than two ticks, then back: the missed ticks are caught up.
    await Promise.all(workers.map((worker) => worker.stop()));
    await new Promise((resolve) => setTimeout(resolve, 2.5 * SECOND));
    for (const worker of workers) await worker.start();
    await until(async () => (await started()).length >= 6, "six ticks started");
    await first.schedules.delete("tick");
    await until(
      async () =>
        (await first.client.list({ workflow: "scheduledTick" })).every((e) => e.status === "succeeded"),
      "every started execution succeeded",
    );
    const ids = (await started()).sort();
    const ticks = ids.map((id) => Date.parse(id.slice("tick@".length)));
    expect(ids.every((id) => /^tick@\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/.test(id))).toBe(true);
    // One per tick, consecutive seconds from the first tick after the create: none twice, none missed.
    expect(ticks[0]).toBe((Math.floor((ticks[0] as number) / SECOND) * SECOND) as number);
    expect(ticks).toEqual(ticks.map((_, i) => (ticks[0] as number) + i * SECOND));
    expect(ticks[0]).toBeGreaterThan(before);
    expect(ticks[0]).toBeLessThanOrEqual(createdAt + SECOND);
    expect([...ran].sort()).toEqual(ids);
    const schedules = await first.client.count({ workflow: "stepline.schedule" });
    expect(schedules).toBe(0);
  } finally {
    for (const worker of workers) await worker.stop();
  }
}

/** engine.schedules through real engines on each store (docs/schedules.md). */
export const scheduleEngineCases: readonly ConformanceCase[] = [
  {
    name: "schedules: three workers on one store start exactly one execution per tick, none missed while all restart",
    run: (store: Store) => checkOneExecutionPerTick([store, store, store]),
  },
];
