import {
  createEngine,
  type Engine,
  InvalidArgumentError,
  memoryStore,
  ScheduleAlreadyExistsError,
  ScheduleNotFoundError,
  type Store,
  type Worker,
  workflow,
} from "@stepline/core";
import { afterEach, describe, expect, it } from "vitest";
import { type FakeClock, fakeClock } from "./fake-clock.js";

const T0 = Date.UTC(2030, 0, 1); // a Tuesday, 00:00 UTC
const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Executions of the target: what each tick started, by id, and gates to hold them running. */
function fixture(options: { store?: Store; clock?: FakeClock } = {}) {
  const clock = options.clock ?? fakeClock(T0);
  const store = options.store ?? memoryStore();
  const engine = createEngine({ store, clock, pollInterval: 3_600_000, log: () => {} });
  const ran: string[] = [];
  let hold: Promise<void> | undefined;
  let release = () => {};
  const report = workflow("report", async (ctx, input: { region: string }) => {
    await ctx.step("run", async () => {
      ran.push(`${ctx.executionId} ${input.region}`);
      await hold;
    });
    return input.region;
  });
  const holdRuns = () => {
    hold = new Promise((resolve) => {
      release = () => {
        hold = undefined;
        resolve();
      };
    });
  };
  const workers: Worker[] = [];
  const startWorker = async (engineOf: Engine = engine) => {
    const worker = engineOf.worker({ workflows: [report], leaseMs: 300 });
    await worker.start();
    workers.push(worker);
    return worker;
  };
  cleanups.push(async () => {
    release();
    for (const worker of workers) await worker.stop();
  });
  const ids = () => ran.map((line) => line.split(" ")[0]);
  return { clock, store, engine, report, ran, ids, startWorker, holdRuns, release: () => release() };
}

describe("engine.schedules across a deploy", () => {
  it("starts each tick at the version the worker now runs, not the one of the create", async () => {
    const clock = fakeClock(T0);
    const store = memoryStore();
    const v1 = workflow("versioned", async (_ctx, n: number) => `v1 ${n}`, { version: 1 });
    const before = createEngine({ store, clock, pollInterval: 3_600_000, log: () => {} });
    await before.schedules.create("ver", { workflow: v1, every: "1m", input: 1 });
    await before.close();
    // The deploy: only version 2 runs now (no compatibleVersions: a v1 tick would sit queued).
    const v2 = workflow("versioned", async (_ctx, n: number) => `v2 ${n}`, { version: 2 });
    const engine = createEngine({ store, clock, pollInterval: 3_600_000, log: () => {} });
    const worker = engine.worker({ workflows: [v2], leaseMs: 300 });
    await worker.start();
    cleanups.push(async () => {
      await worker.stop();
      await engine.close();
    });
    await clock.advance("1m");
    await clock.advance(1);
    const id = `ver@${iso(T0 + MIN)}`;
    expect(await engine.client.describe(id)).toMatchObject({ status: "succeeded", version: 2 });
    expect(await engine.client.result(id)).toBe("v2 1");
  });
});

describe("engine.schedules: ticks", () => {
  it("every: starts one execution per interval, with ids derived from the schedule id and the tick time", async () => {
    const f = fixture();
    await f.startWorker();
    await f.engine.schedules.create("sync", { workflow: f.report, every: "15m", input: { region: "eu" } });
    await f.clock.advance("14m");
    expect(f.ran).toEqual([]);
    await f.clock.advance("46m");
    expect(f.ran).toEqual([15, 30, 45, 60].map((m) => `sync@${iso(T0 + m * MIN)} eu`));
    const described = await f.engine.schedules.describe("sync");
    expect(described).toMatchObject({
      id: "sync",
      workflow: "report",
      everyMs: 15 * MIN,
      cron: null,
      paused: false,
      started: 4,
      overlap: "skip",
      nextTickAt: new Date(T0 + 75 * MIN),
    });
    expect(described.recent).toEqual([15, 30, 45, 60].map((m) => `sync@${iso(T0 + m * MIN)}`));
    expect(await f.engine.client.result(`sync@${iso(T0 + 15 * MIN)}`)).toBe("eu");
  });

  it("cron with a timezone: 02:00 in Europe/Paris is 01:00 UTC in winter", async () => {
    const f = fixture();
    await f.startWorker();
    await f.engine.schedules.create("nightly", {
      workflow: f.report,
      cron: "0 2 * * *",
      timezone: "Europe/Paris",
      input: { region: "fr" },
    });
    expect((await f.engine.schedules.describe("nightly")).nextTickAt).toEqual(new Date(T0 + 60 * MIN));
    await f.clock.advance("2d");
    expect(f.ids()).toEqual([`nightly@${iso(T0 + 60 * MIN)}`, `nightly@${iso(T0 + 86_400_000 + 60 * MIN)}`]);
  });

  it("a cron whose next tick is more than 10 years ahead waits for it (a timer of 10 years at most)", async () => {
    const f = fixture();
    await f.startWorker();
    await f.engine.schedules.create("far", {
      workflow: f.report,
      cron: "0 0 0 1 1 * 2045",
      input: { region: "a" },
    });
    await f.clock.advance("1s");
    expect(await f.engine.schedules.describe("far")).toMatchObject({
      nextTickAt: new Date(Date.UTC(2045, 0, 1)),
      execution: { status: "waiting" },
    });
  });

  it("a worker of the engine runs schedules without registering anything for them", async () => {
    const f = fixture();
    // Only the target is registered, on a second engine on the same store.
    const other = createEngine({ store: f.store, clock: f.clock, pollInterval: 3_600_000, log: () => {} });
    await f.startWorker(other);
    await f.engine.schedules.create("by-name", { workflow: "report", every: "1m", input: { region: "x" } });
    await f.clock.advance("3m");
    expect(f.ids()).toEqual([1, 2, 3].map((m) => `by-name@${iso(T0 + m * MIN)}`));
  });
});

describe("engine.schedules: overlap", () => {
  it('"skip" starts nothing while the previous execution runs, and counts the skipped ticks', async () => {
    const f = fixture();
    await f.startWorker();
    f.holdRuns();
    await f.engine.schedules.create("s", { workflow: f.report, every: "1m", input: { region: "a" } });
    await f.clock.advance("3m");
    expect(f.ids()).toEqual([`s@${iso(T0 + MIN)}`]);
    f.release();
    await f.clock.advance("1m");
    expect(f.ids()).toEqual([`s@${iso(T0 + MIN)}`, `s@${iso(T0 + 4 * MIN)}`]);
    expect(await f.engine.schedules.describe("s")).toMatchObject({ started: 2, skippedOverlap: 2 });
  });

  it('"buffer-one" holds one tick and starts it as soon as the running one ends', async () => {
    const f = fixture();
    await f.startWorker();
    f.holdRuns();
    await f.engine.schedules.create("b", {
      workflow: f.report,
      every: "1m",
      input: { region: "a" },
      overlap: "buffer-one",
    });
    await f.clock.advance("3m");
    expect(f.ids()).toEqual([`b@${iso(T0 + MIN)}`]);
    expect(await f.engine.schedules.describe("b")).toMatchObject({
      bufferedTickAt: new Date(T0 + 2 * MIN),
      skippedOverlap: 1,
    });
    f.release();
    await f.clock.advance(10);
    expect(f.ids()).toEqual([`b@${iso(T0 + MIN)}`, `b@${iso(T0 + 2 * MIN)}`]);
    expect(await f.engine.schedules.describe("b")).toMatchObject({ bufferedTickAt: null, started: 2 });
  });

  it('"allow" starts every tick while earlier ones still run', async () => {
    const f = fixture();
    await f.startWorker();
    f.holdRuns();
    await f.engine.schedules.create("a", {
      workflow: f.report,
      every: "1m",
      input: { region: "a" },
      overlap: "allow",
    });
    await f.clock.advance("3m");
    expect(f.ids()).toEqual([1, 2, 3].map((m) => `a@${iso(T0 + m * MIN)}`));
  });
});

describe("engine.schedules: control", () => {
  it("pause stops the ticks, resume goes on from now without catching up the pause, trigger starts one now", async () => {
    const f = fixture();
    await f.startWorker();
    await f.engine.schedules.create("p", { workflow: f.report, every: "1m", input: { region: "a" } });
    await f.clock.advance("1m");
    await f.engine.schedules.pause("p");
    await f.clock.advance(1);
    expect(await f.engine.schedules.describe("p")).toMatchObject({ paused: true, nextTickAt: null });
    await f.clock.advance("5m");
    expect(f.ids()).toEqual([`p@${iso(T0 + MIN)}`]);
    await f.engine.schedules.trigger("p");
    await f.clock.advance(1);
    expect(f.ids()).toEqual([`p@${iso(T0 + MIN)}`, `p@${iso(T0 + 6 * MIN + 1)}-trigger-1`]);
    await f.engine.schedules.resume("p");
    await f.clock.advance(1);
    expect(await f.engine.schedules.describe("p")).toMatchObject({
      paused: false,
      nextTickAt: new Date(T0 + 7 * MIN),
    });
    await f.clock.advance("1m");
    expect(f.ids().slice(2)).toEqual([`p@${iso(T0 + 7 * MIN)}`]);
  });

  it("delete ends the schedule and leaves the executions it started; the id can be created again", async () => {
    const f = fixture();
    await f.startWorker();
    f.holdRuns();
    await f.engine.schedules.create("d", { workflow: f.report, every: "1m", input: { region: "a" } });
    await f.clock.advance("1m");
    await f.engine.schedules.delete("d");
    await expect(f.engine.schedules.describe("d")).rejects.toThrow(ScheduleNotFoundError);
    await expect(f.engine.schedules.pause("d")).rejects.toThrow(/No schedule with id "d"/);
    await f.clock.advance("3m");
    expect(f.ids()).toEqual([`d@${iso(T0 + MIN)}`]);
    expect((await f.engine.client.describe(`d@${iso(T0 + MIN)}`)).status).toBe("running");
    await f.engine.schedules.create("d", { workflow: f.report, every: "1m", input: { region: "b" } });
    expect((await f.engine.schedules.list()).map((s) => [s.id, s.input])).toEqual([["d", { region: "b" }]]);
  });

  it("create is idempotent with the same options and refuses other options for a taken id", async () => {
    const f = fixture();
    const options = { workflow: f.report, every: "1h", input: { region: "a" } };
    await f.engine.schedules.create("i", options);
    await f.engine.schedules.create("i", options);
    expect(await f.engine.client.count({ workflow: "stepline.schedule" })).toBe(1);
    await expect(f.engine.schedules.create("i", { ...options, every: "2h" })).rejects.toThrow(
      ScheduleAlreadyExistsError,
    );
  });

  it("refuses bad options with a typed error that says what to do", async () => {
    const f = fixture();
    const create = (options: object) =>
      f.engine.schedules.create("x", { workflow: f.report, input: { region: "a" }, ...options } as never);
    await expect(create({})).rejects.toThrow(/give exactly one of cron .* and every/);
    await expect(create({ cron: "* * * * *", every: "1m" })).rejects.toThrow(/not both/);
    await expect(create({ cron: "61 * * * *" })).rejects.toThrow(InvalidArgumentError);
    await expect(create({ cron: "0 2 * * *", timezone: "Mars/Base" })).rejects.toThrow(
      /timezone "Mars\/Base" is not valid/,
    );
    await expect(create({ every: "10ms" })).rejects.toThrow(/at least 1 s/);
    await expect(create({ every: "1m", overlap: "queue" })).rejects.toThrow(/overlap must be one of/);
    await expect(create({ every: "1m", timezone: "UTC" })).rejects.toThrow(/timezone applies to cron only/);
    await expect(create({ every: "1m", catchup: "1h" })).rejects.toThrow(/unknown option "catchup"/);
    await expect(f.engine.schedules.create("a/b", { workflow: f.report, every: "1m" })).rejects.toThrow(
      /contains "\/"/,
    );
    expect(await f.engine.client.count()).toBe(0);
  });
});

describe("engine.schedules: catch-up after workers were down", () => {
  it("starts the ticks missed within the catch-up window, skips and counts older ones", async () => {
    const f = fixture();
    const worker = await f.startWorker();
    await f.engine.schedules.create("c", {
      workflow: f.report,
      every: "1m",
      input: { region: "a" },
      overlap: "allow",
      catchupWindow: "3m",
    });
    await f.clock.advance("1m");
    await worker.stop();
    await f.clock.advance("10m"); // ticks 2..11 are missed
    await worker.start();
    await f.clock.advance(1);
    expect(f.ids()).toEqual([1, 8, 9, 10, 11].map((m) => `c@${iso(T0 + m * MIN)}`));
    expect(await f.engine.schedules.describe("c")).toMatchObject({ skippedCatchup: 6, started: 5 });
  });

  it("misses none when the workers come back within the window (skip: one catch-up start)", async () => {
    const f = fixture();
    const worker = await f.startWorker();
    await f.engine.schedules.create("w", { workflow: f.report, every: "1m", input: { region: "a" } });
    await worker.stop();
    await f.clock.advance("2m");
    await worker.start();
    await f.clock.advance(1);
    // The first catch-up tick starts; the second finds it still running (skip).
    expect(f.ids()).toEqual([`w@${iso(T0 + MIN)}`]);
    expect(await f.engine.schedules.describe("w")).toMatchObject({ skippedCatchup: 0, skippedOverlap: 1 });
  });

  it("survives continue-as-new: the ids, counts and ticks go on across runs", async () => {
    const f = fixture();
    await f.startWorker();
    await f.engine.schedules.create("long", { workflow: f.report, every: "1s", input: { region: "a" } });
    await f.clock.advance("250s");
    const described = await f.engine.schedules.describe("long");
    expect(described.execution.run).toBeGreaterThan(1);
    expect(f.ids()).toEqual(Array.from({ length: 250 }, (_, i) => `long@${iso(T0 + (i + 1) * 1_000)}`));
    expect(described.started).toBe(250);
  }, 30_000);

  it("spreads a large catch-up over runs: every missed tick starts once, and no run's journal grows long", async () => {
    const f = fixture();
    const worker = await f.startWorker();
    await f.engine.schedules.create("flood", {
      workflow: f.report,
      every: "1s",
      input: { region: "a" },
      overlap: "allow",
    });
    await worker.stop();
    await f.clock.advance("600s");
    await worker.start();
    // A millisecond at a time: each step lets the runs and their 600 children go on, short of the next tick.
    for (let ms = 0; ms < 900 && f.ran.length < 600; ms++) await f.clock.advance(1);
    expect(f.ids()).toEqual(Array.from({ length: 600 }, (_, i) => `flood@${iso(T0 + (i + 1) * 1_000)}`));
    const described = await f.engine.schedules.describe("flood");
    expect(described).toMatchObject({ started: 600, skippedCatchup: 0 });
    expect(described.execution.run).toBeGreaterThanOrEqual(3);
    for (let run = 1; run <= described.execution.run; run++) {
      const history = await f.engine.client.history("schedule:flood", { run });
      expect(history.length).toBeLessThan(1_000);
    }
  }, 60_000);

  it('"skip" keeps watching an execution that outlives a run: the next run asks its status at each tick', async () => {
    const f = fixture();
    await f.startWorker();
    f.holdRuns();
    await f.engine.schedules.create("slow", { workflow: f.report, every: "1s", input: { region: "a" } });
    await f.clock.advance("450s");
    const during = await f.engine.schedules.describe("slow");
    expect(during.execution.run).toBe(2);
    expect(f.ids()).toEqual([`slow@${iso(T0 + 1_000)}`]);
    f.release();
    await f.clock.advance("1s");
    expect(f.ids()).toEqual([`slow@${iso(T0 + 1_000)}`, `slow@${iso(T0 + 451_000)}`]);
    expect(await f.engine.schedules.describe("slow")).toMatchObject({ started: 2, skippedOverlap: 449 });
  }, 60_000);

  it("a start retried after a crash between creating the execution and journaling it adopts it: one execution per tick", async () => {
    const inner = memoryStore();
    const tick1 = `crash@${iso(T0 + MIN)}`;
    let crashes = 0;
    // The first journal append of the schedule after its tick's execution exists fails, as a
    // worker dying right after creating the child would: the runner ends, its lease expires.
    const journal = new Proxy(inner.journal, {
      get(target, key) {
        if (key !== "append") return Reflect.get(target, key).bind(target);
        return async (...args: Parameters<Store["journal"]["append"]>) => {
          const [lease] = args;
          if (
            lease.executionId === "schedule:crash" &&
            crashes === 0 &&
            (await inner.executions.get(tick1))
          ) {
            crashes++;
            throw new Error("worker died");
          }
          return target.append(...args);
        };
      },
    });
    const store = new Proxy(inner, {
      get: (target, key) => (key === "journal" ? journal : Reflect.get(target, key)),
    });
    const f = fixture({ store });
    await f.startWorker();
    await f.engine.schedules.create("crash", { workflow: f.report, every: "1m", input: { region: "a" } });
    await f.clock.advance("1m");
    expect(crashes).toBe(1);
    await f.clock.advance("1s"); // the lease (300 ms) runs out; the schedule is claimed again
    await f.clock.advance("1m");
    expect(f.ids()).toEqual([tick1, `crash@${iso(T0 + 2 * MIN)}`]);
    const history = await f.engine.client.history("schedule:crash");
    const children = history.filter((e) => e.type === "ChildStarted" || e.type === "ChildFailed");
    expect(children.map((e) => [e.type, (e as { childId?: string }).childId])).toEqual([
      ["ChildStarted", tick1],
      ["ChildStarted", `crash@${iso(T0 + 2 * MIN)}`],
    ]);
  });
});

describe("engine.schedules.update", () => {
  it("every to a shorter every and a new input: the next tick is the new spec's first after the update", async () => {
    const f = fixture();
    await f.startWorker();
    await f.engine.schedules.create("u", { workflow: f.report, every: "15m", input: { region: "eu" } });
    await f.clock.advance("20m");
    expect(f.ran).toEqual([`u@${iso(T0 + 15 * MIN)} eu`]);
    await f.engine.schedules.update("u", { every: "5m", input: { region: "us" } });
    await f.clock.advance(1);
    expect(await f.engine.schedules.describe("u")).toMatchObject({
      everyMs: 5 * MIN,
      input: { region: "us" },
      overlap: "skip",
      nextTickAt: new Date(T0 + 25 * MIN),
    });
    await f.clock.advance("11m");
    expect(f.ran.slice(1)).toEqual([`u@${iso(T0 + 25 * MIN)} us`, `u@${iso(T0 + 30 * MIN)} us`]);
  });

  it("every to cron with a timezone, then only the overlap: the other fields are kept", async () => {
    const f = fixture();
    await f.startWorker();
    await f.engine.schedules.create("c", { workflow: f.report, every: "1h", input: { region: "fr" } });
    await f.engine.schedules.update("c", { cron: "0 2 * * *", timezone: "Europe/Paris" });
    await f.clock.advance(1);
    await f.engine.schedules.update("c", { overlap: "buffer-one", catchupWindow: "1h" });
    await f.clock.advance(1);
    expect(await f.engine.schedules.describe("c")).toMatchObject({
      cron: "0 2 * * *",
      timezone: "Europe/Paris",
      everyMs: null,
      overlap: "buffer-one",
      catchupWindowMs: 3_600_000,
      input: { region: "fr" },
      nextTickAt: new Date(T0 + 60 * MIN),
    });
    await f.clock.advance("2h");
    expect(f.ran).toEqual([`c@${iso(T0 + 60 * MIN)} fr`]);
    // Back to every: the cron's timezone goes with it.
    await f.engine.schedules.update("c", { every: "30m" });
    await f.clock.advance(1);
    expect(await f.engine.schedules.describe("c")).toMatchObject({
      cron: null,
      timezone: null,
      everyMs: 30 * MIN,
    });
  });

  it("an update survives continue-as-new: the new spec is the next run's input", async () => {
    const f = fixture();
    await f.startWorker();
    await f.engine.schedules.create("long", { workflow: f.report, every: "1m", input: { region: "a" } });
    await f.engine.schedules.update("long", { every: "2m", input: { region: "b" } });
    await f.clock.advance("250m");
    const described = await f.engine.schedules.describe("long");
    expect(described.execution.run).toBeGreaterThan(1);
    expect(described).toMatchObject({ everyMs: 2 * MIN, input: { region: "b" } });
    expect(f.ran.every((line) => line.endsWith(" b"))).toBe(true);
    expect(f.ran).toHaveLength(125);
  });

  it("refuses a bad update with a typed error and sends nothing", async () => {
    const f = fixture();
    await f.engine.schedules.create("x", { workflow: f.report, every: "1h", input: { region: "a" } });
    const update = (options: object) => f.engine.schedules.update("x", options as never);
    await expect(update({ workflow: "other" })).rejects.toThrow(/the workflow of a schedule cannot change/);
    await expect(update({})).rejects.toThrow(/nothing to update/);
    await expect(update({ timezone: "Europe/Paris" })).rejects.toThrow(/timezone is given with cron/);
    await expect(update({ cron: "61 * * * *" })).rejects.toThrow(InvalidArgumentError);
    await expect(update({ cron: "* * * * *", every: "1m" })).rejects.toThrow(/not both/);
    await expect(update({ every: "10ms" })).rejects.toThrow(/at least 1 s/);
    await expect(update({ overlap: "queue" })).rejects.toThrow(/overlap must be one of/);
    await expect(update({ evry: "1m" })).rejects.toThrow(/unknown option "evry"/);
    await expect(f.engine.schedules.update("missing", { every: "1m" })).rejects.toThrow(
      ScheduleNotFoundError,
    );
    const inbox = await f.store.inbox.read("schedule:x");
    expect(inbox).toHaveLength(0);
  });
});

describe("the reserved stepline- event prefix", () => {
  it("client.sendEvent of the schedule control event is refused; engine.schedules still sends it", async () => {
    const f = fixture();
    await f.startWorker();
    await f.engine.schedules.create("r", { workflow: f.report, every: "1m", input: { region: "a" } });
    const sent = f.engine.client.sendEvent("schedule:r", "stepline-schedule.control", { action: "pause" });
    await expect(sent).rejects.toThrow(InvalidArgumentError);
    await expect(sent).rejects.toThrow(
      'client.sendEvent: the event name "stepline-schedule.control" starts with "stepline-", which is reserved',
    );
    await f.engine.schedules.pause("r");
    await f.clock.advance("3m");
    expect(await f.engine.schedules.describe("r")).toMatchObject({ paused: true, started: 0 });
  });

  it("a user workflow that waits for a stepline- event fails with InvalidArgumentError", async () => {
    const f = fixture();
    const sneaky = workflow("sneaky", async (ctx) => ctx.waitForEvent("stepline-schedule.control"));
    const worker = f.engine.worker({ workflows: [sneaky], leaseMs: 300 });
    await worker.start();
    cleanups.push(() => worker.stop());
    const run = await f.engine.client.start(sneaky, undefined, { id: "sneaky-1" });
    const error = await run.result({ timeout: "5s" }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(InvalidArgumentError.is(error)).toBe(true);
    expect(error?.message).toContain(
      'ctx.waitForEvent: the event name "stepline-schedule.control" starts with "stepline-", which is reserved',
    );
  });
});
