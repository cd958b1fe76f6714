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

/**
 * An update sent while no worker runs waits in the schedule's inbox (durable), is taken
 * by the worker of an engine started later, and the ticks after it follow the new spec,
 * with the new input, from the first tick of the new spec after the update.
 */
async function checkUpdateTakenAfterRestart(store: Store): Promise<void> {
  const ran: string[] = [];
  const target = workflow("updatedTick", async (ctx, input: { v: number }) => {
    await ctx.step("record", () => {
      ran.push(`${ctx.executionId} ${input.v}`);
    });
  });
  const first = createEngine({ store, pollInterval: 20, log: () => {} });
  const worker = first.worker({ workflows: [target], leaseMs: 600 });
  await worker.start();
  await first.schedules.create("upd", { workflow: target, every: "1h", input: { v: 1 } });
  await until(
    async () => (await first.schedules.describe("upd")).execution.status === "waiting",
    "the schedule waits for its next tick",
  );
  await worker.stop();
  await first.schedules.update("upd", { every: "1s", input: { v: 2 }, overlap: "allow" });
  const sentAt = store.clock?.now() ?? Date.now();
  // Not taken yet: no worker runs.
  expect((await first.schedules.describe("upd")).everyMs).toBe(3_600_000);
  // Another engine on the store, as after a restart (engine.close would close the store).

  const second = createEngine({ store, pollInterval: 20, log: () => {} });
  const restarted = second.worker({ workflows: [target], leaseMs: 600 });
  await restarted.start();
  try {
    await until(async () => ran.length >= 2, "two ticks of the new spec");
    const described = await second.schedules.describe("upd");
    expect(described).toMatchObject({ everyMs: 1_000, cron: null, overlap: "allow", input: { v: 2 } });
    await second.schedules.delete("upd");
    const [a, b] = ran.map((line) => line.split(" ")) as [[string, string], [string, string]];
    expect([a[1], b[1]]).toEqual(["2", "2"]);
    const ticks = [a[0], b[0]].map((id) => Date.parse(id.slice("upd@".length)));
    expect(ticks[1]).toBe((ticks[0] as number) + SECOND);
    expect(ticks[0]).toBeGreaterThan(sentAt);
    expect((ticks[0] as number) % SECOND).toBe(0);
  } finally {
    await restarted.stop();
  }
}

/** engine.schedules through real engines on each store (docs/schedules.md). */
export const scheduleEngineCases: readonly ConformanceCase[] = [
  {
    name: "schedules: three workers on one store start exactly one execution per tick, none missed while all restart",
    run: (store: Store) => checkOneExecutionPerTick([store, store, store]),
  },
  {
    name: "schedules: an update sent while no worker runs is taken after a restart; the ticks follow the new spec",
    run: checkUpdateTakenAfterRestart,
  },
];
