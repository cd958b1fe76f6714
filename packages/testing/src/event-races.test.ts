import {
  createEngine,
  type EventOfType,
  type JournalEvent,
  memoryStore,
  type Store,
  workflow,
} from "@stepline/core";
import { describe, expect, it } from "vitest";
import { type FakeClock, fakeClock } from "./fake-clock.js";

/** Collects `n` "item" events, each turn racing the wait against an hour's tick. */
const collector = workflow("collector", async (ctx, n: number) => {
  const got: unknown[] = [];
  let ticks = 0;
  while (got.length < n) {
    const next = await Promise.race([
      ctx.waitForEvent("item"),
      ctx.sleep("tick", "1h").then(() => "tick" as const),
    ]);
    if (next === "tick") ticks++;
    else got.push(next);
  }
  return { got, ticks };
});

const pair = workflow("pair", async (ctx, _input: null) =>
  Promise.all([ctx.waitForEvent("item"), ctx.waitForEvent("item")]),
);

const successive = workflow("successive", async (ctx, _input: null) => {
  const first = await ctx.waitForEvent("item");
  const second = await ctx.waitForEvent("item");
  return [first, second];
});

function engineOn(store: Store, clock: FakeClock) {
  const engine = createEngine({ store, clock, pollInterval: 3_600_000, log: () => {} });
  const worker = engine.worker({ workflows: [collector, pair, successive] });
  return { engine, worker };
}

async function stop(worker: { stop(): Promise<void> }, clock: FakeClock) {
  const stopping = worker.stop();
  await clock.advance("1s");
  await stopping;
}

function received(history: JournalEvent[]) {
  return history
    .filter((e): e is EventOfType<"EventReceived"> => e.type === "EventReceived")
    .map((e) => [e.op, e.inboxSeq, e.payload]);
}

describe("events and Promise.race", () => {
  it("gives every event to the current turn of a loop that races a wait against a timer", async () => {
    const clock = fakeClock();
    const { engine, worker } = engineOn(memoryStore(), clock);
    await worker.start();
    try {
      const run = await engine.client.start(collector, 3);
      await clock.advance("61m"); // turn 1 ends with a tick; its wait is abandoned
      await clock.advance("61m"); // so does turn 2
      await run.sendEvent("item", "a");
      await clock.advance("1s");
      await run.sendEvent("item", "b");
      await run.sendEvent("item", "c");
      await clock.advance("1s");
      expect(await run.result({ timeout: "1s" })).toEqual({ got: ["a", "b", "c"], ticks: 2 });
    } finally {
      await stop(worker, clock);
    }
  });

  it("resolves a race of an event and a timer that come due together with the event, losing nothing", async () => {
    const clock = fakeClock();
    const { engine, worker } = engineOn(memoryStore(), clock);
    await worker.start();
    try {
      const run = await engine.client.start(collector, 2);
      await clock.advance("1s");
      await stop(worker, clock); // the execution sleeps in the store; nobody delivers
      await run.sendEvent("item", "a");
      await run.sendEvent("item", "b");
      await clock.advance("2h"); // the tick is due as well
      await worker.start();
      await clock.advance("1s");
      expect(await run.result({ timeout: "1s" })).toEqual({ got: ["a", "b"], ticks: 0 });
    } finally {
      await stop(worker, clock);
    }
  });

  it("gives two events to Promise.all of two waits in the order they were issued", async () => {
    const clock = fakeClock();
    const { engine, worker } = engineOn(memoryStore(), clock);
    await worker.start();
    try {
      const run = await engine.client.start(pair, null);
      await clock.advance("1s");
      await run.sendEvent("item", "first");
      await run.sendEvent("item", "second");
      await clock.advance("1s");
      expect(await run.result({ timeout: "1s" })).toEqual(["first", "second"]);
      expect(received(await run.history())).toEqual([
        [0, 0, "first"],
        [1, 1, "second"],
      ]);
    } finally {
      await stop(worker, clock);
    }
  });

  it("gives two events sent at once to two successive waits", async () => {
    const clock = fakeClock();
    const { engine, worker } = engineOn(memoryStore(), clock);
    await worker.start();
    try {
      const run = await engine.client.start(successive, null);
      await run.sendEvent("item", 1);
      await run.sendEvent("item", 2);
      await clock.advance("1s");
      expect(await run.result({ timeout: "1s" })).toEqual([1, 2]);
    } finally {
      await stop(worker, clock);
    }
  });

  it("assigns events the same way after a replay mid-way as without one", async () => {
    /** Runs the scenario; `restartAt` is the step after which a fresh engine replays the execution. */
    async function scenario(restartAt: number | undefined) {
      const clock = fakeClock();
      const store = memoryStore();
      let current = engineOn(store, clock);
      await current.worker.start();
      const run = await current.engine.client.start(collector, 4, { id: "collector-1" });
      const steps = [
        () => clock.advance("61m"),
        () => run.sendEvent("item", "a"),
        () => clock.advance("61m"),
        () => clock.advance("61m"),
        () => run.sendEvent("item", "b"),
        () => run.sendEvent("item", "c"),
        () => clock.advance("61m"),
        () => run.sendEvent("item", "d"),
      ];
      for (const [i, step] of steps.entries()) {
        await step();
        await clock.advance("1s");
        if (i === restartAt) {
          await stop(current.worker, clock);
          current = engineOn(store, clock); // no cache: the new worker replays the journal
          await current.worker.start();
          await clock.advance("1s");
        }
      }
      const result = await current.engine.client.result("collector-1", { timeout: "1s" });
      const history = await current.engine.client.history("collector-1");
      await stop(current.worker, clock);
      return { result, received: received(history) };
    }
    const straight = await scenario(undefined);
    expect(straight.result).toEqual({ got: ["a", "b", "c", "d"], ticks: 4 });
    for (const restartAt of [0, 2, 3, 4]) expect(await scenario(restartAt)).toEqual(straight);
  });
});
