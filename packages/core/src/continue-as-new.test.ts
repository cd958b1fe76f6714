import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { carriedInbox, continueAsNewMarker, continuedOutcome } from "./continue-as-new.js";
import { resolveHistoryLimits } from "./history-limits.js";
import {
  checkJournal,
  ErrorRegistry,
  HistoryLimitError,
  InvalidArgumentError,
  type JournalEvent,
  memoryStore,
  workflow,
} from "./index.js";
import { newEngine, rejection, startWorker } from "./testing/engine-kit.js";
import { WorkflowRun } from "./workflow-run.js";

const types = (history: JournalEvent[]) => history.map((e) => e.type);

/** Counts to `until`, continuing as new every `every` iterations (0: never). */
const counter = workflow("counter", async (ctx, state: { i: number; until: number; every: number }) => {
  let i = state.i;
  for (let n = 0; i < state.until; n++) {
    if (state.every > 0 && n === state.every) return ctx.continueAsNew({ ...state, i });
    i = await ctx.step("tick", () => i + 1);
  }
  return { done: i, run: ctx.executionId };
});

/** Receives `count` events named "item", continuing as new after each. */
const collector = workflow("collector", async (ctx, state: { got: number[]; count: number }) => {
  if (state.got.length === state.count) return state.got;
  const item = await ctx.waitForEvent<number>("item");
  return ctx.continueAsNew({ ...state, got: [...state.got, item] });
});

describe("ctx.continueAsNew", () => {
  it("ends the run with ContinuedAsNew and starts run 2 under the same id; result() follows the chain", async () => {
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [counter] });
    const run = await engine.client.start(counter, { i: 0, until: 5, every: 2 }, { id: "c-1" });
    expect(await run.result({ timeout: "5s" })).toEqual({ done: 5, run: "c-1" });

    const described = await run.describe();
    expect(described).toMatchObject({ status: "succeeded", run: 3, historyWarning: null });
    const first = await run.history({ run: 1 });
    expect(types(first)).toEqual([
      "ExecutionStarted",
      "StepScheduled",
      "StepSucceeded",
      "StepScheduled",
      "StepSucceeded",
      "ContinuedAsNew",
    ]);
    expect(first[5]).toMatchObject({
      type: "ContinuedAsNew",
      input: { i: 2, until: 5, every: 2 },
      nextRun: 2,
    });
    expect(first[0]).not.toHaveProperty("run");
    const second = await run.history({ run: 2 });
    expect(second[0]).toMatchObject({
      type: "ExecutionStarted",
      seq: 0,
      run: 2,
      input: { i: 2 },
      workflow: "counter",
    });
    expect(second.at(-1)).toMatchObject({ type: "ContinuedAsNew", nextRun: 3 });
    const last = await run.history();
    expect(last[0]).toMatchObject({ run: 3, input: { i: 4 } });
    expect(types(last)).toEqual(["ExecutionStarted", "StepScheduled", "StepSucceeded", "ExecutionSucceeded"]);
    expect(await run.history({ run: 3 })).toEqual(last);
    expect(described.historyLength).toBe(4);
  });

  it("refuses a run the execution does not have", async () => {
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [counter] });
    const run = await engine.client.start(counter, { i: 0, until: 1, every: 0 }, { id: "c-2" });
    await run.result({ timeout: "5s" });
    for (const bad of [0, 2, 1.5, -1]) {
      const error = await rejection(run.history({ run: bad }));
      expect(InvalidArgumentError.is(error)).toBe(true);
      expect(error.message).toContain("run must be an integer from 1 to 1");
    }
  });

  it("carries events sent and not consumed to the next run, and does not deliver a consumed one again", async () => {
    const { engine } = newEngine();
    const run = await engine.client.start(collector, { got: [], count: 3 }, { id: "col-1" });
    // All three sent before any worker runs: run 1 takes the first, runs 2 and 3 the others.
    for (const item of [10, 20, 30]) await engine.client.sendEvent("col-1", "item", item);
    await startWorker(engine, { workflows: [collector] });
    expect(await run.result({ timeout: "5s" })).toEqual([10, 20, 30]);
    expect((await run.describe()).run).toBe(4);
    const second = await run.history({ run: 2 });
    expect(second[0]).toMatchObject({ run: 2, inboxFrom: 1 });
    expect(second.find((e) => e.type === "EventReceived")).toMatchObject({ inboxSeq: 1, payload: 20 });
  });

  it("gives a parent the last run's output of a child that continues as new", async () => {
    const parent = workflow("parent", async (ctx) => ctx.child(counter, { i: 0, until: 3, every: 1 }));
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [parent, counter] });
    const run = await engine.client.start(parent, null, { id: "p-1" });
    expect(await run.result({ timeout: "5s" })).toEqual({ done: 3, run: "p-1/counter" });
    const child = await engine.client.describe("p-1/counter");
    expect(child).toMatchObject({ run: 3, status: "succeeded" });
    const last = await engine.client.history("p-1/counter");
    expect(last[0]).toMatchObject({ run: 3, parent: "p-1", parentOp: 0 });
  });

  it("attaches a repeated client.start with the first run's input", async () => {
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [counter] });
    const input = { i: 0, until: 3, every: 1 };
    const run = await engine.client.start(counter, input, { id: "c-3" });
    await run.result({ timeout: "5s" });
    const again = await engine.client.start(counter, input, { id: "c-3" });
    expect(await again.result()).toEqual({ done: 3, run: "c-3" });
  });

  it("fails the run when the new input is not plain data, or too large to journal", async () => {
    const notData = workflow("not-data", async (ctx) => ctx.continueAsNew({ f: () => 1 }));
    const tooLarge = workflow("too-large", async (ctx) => ctx.continueAsNew("x".repeat(3 * 1024 * 1024)));
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [notData, tooLarge] });
    const first = await engine.client.start(notData, null, { id: "b-1" });
    const error = await rejection(first.result({ timeout: "5s" }));
    expect(error.message).toContain("The input of ctx.continueAsNew(input)");
    const second = await engine.client.start(tooLarge, null, { id: "b-2" });
    const large = await rejection(second.result({ timeout: "5s" }));
    expect(large.name).toBe("PayloadTooLargeError");
    expect(types(await second.history())).toEqual(["ExecutionStarted", "ExecutionFailed"]);
    expect((await second.describe()).run).toBe(1);
  });
});

describe("continue-as-new pieces", () => {
  it("recognises only its own marker", () => {
    expect(continuedOutcome(continueAsNewMarker({ a: 1 }))).toEqual({ type: "continued", input: { a: 1 } });
    expect(continuedOutcome({ input: 1 })).toBeUndefined();
    expect(continuedOutcome(null)).toBeUndefined();
  });

  it("carries the inbox from the first unconsumed entry, skipping engine notices", () => {
    const entry = (name: string) => ({ name, payload: null, at: 0 });
    const inbox = [entry("a"), entry("stepline.child-finished"), entry("b"), entry("c"), entry("d")];
    expect(carriedInbox(inbox, new Set([0, 3]))).toEqual({ inboxFrom: 2, inboxConsumed: [3] });
    expect(carriedInbox(inbox, new Set())).toEqual({ inboxConsumed: [1] });
    expect(carriedInbox(inbox, new Set([0, 2, 3, 4]))).toEqual({ inboxFrom: 5 });
  });

  it("replays a 3-run chain: each run's journal replays to its own end", async () => {
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [counter] });
    const run = await engine.client.start(counter, { i: 0, until: 6, every: 2 }, { id: "chain" });
    await run.result({ timeout: "5s" });
    const expectedEnds = ["ContinuedAsNew", "ContinuedAsNew", "ExecutionSucceeded"];
    for (const [index, end] of expectedEnds.entries()) {
      const journal = await run.history({ run: index + 1 });
      const replay = new WorkflowRun({
        definition: counter as never,
        executionId: "chain",
        journal: journal.slice(0, -1),
        errors: new ErrorRegistry(),
      });
      await replay.replay();
      expect(replay.blocked).toBeUndefined();
      const proposed = replay.takeNewEvents();
      expect(proposed).toEqual([journal.at(-1) as JournalEvent].map(({ seq: _s, at: _a, ...body }) => body));
      expect(proposed[0]?.type).toBe(end);
      expect(checkJournal(journal)).toEqual({ ok: true });
    }
  });

  it("checkJournal refuses a ContinuedAsNew that names the wrong next run, and a run field that is not one", async () => {
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [counter] });
    const run = await engine.client.start(counter, { i: 0, until: 6, every: 2 }, { id: "rules" });
    await run.result({ timeout: "5s" });
    const second = await run.history({ run: 2 });
    const end = second.length - 1;
    const wrong = second.map((e) => (e.seq === end ? { ...e, nextRun: 2 } : e));
    expect(checkJournal(wrong)).toMatchObject({ ok: false, seq: end, type: "ContinuedAsNew" });
    expect((checkJournal(wrong) as { problem: string }).problem).toContain(
      "expected 3, the run after this journal's run 2",
    );
    const badRun = [{ ...(second[0] as JournalEvent), run: 0 }, ...second.slice(1)];
    expect(checkJournal(badRun)).toMatchObject({ ok: false, seq: 0 });
  });

  it("checkJournal refuses an event received again that an earlier run consumed", () => {
    const started = {
      seq: 0,
      at: 1,
      type: "ExecutionStarted",
      workflow: "w",
      version: 1,
      input: null,
      seed: 1,
      run: 2,
      inboxFrom: 1,
    };
    const journal = [
      started,
      { seq: 1, at: 1, type: "EventWaitStarted", op: 0, name: "item" },
      { seq: 2, at: 1, type: "EventReceived", op: 0, payload: 1, inboxSeq: 0 },
    ];
    expect(checkJournal(journal)).toMatchObject({ ok: false, seq: 2 });
    expect(checkJournal(journal.map((e) => (e.seq === 2 ? { ...e, inboxSeq: 1 } : e)))).toEqual({ ok: true });
  });
});

describe("history limits", () => {
  it("fails a looping workflow at maxEvents with HistoryLimitError, the failure being the last entry", async () => {
    const { engine, logs } = newEngine({ historyLimits: { maxEvents: 50, warnEvents: 20 } });
    await startWorker(engine, { workflows: [counter] });
    const run = await engine.client.start(counter, { i: 0, until: 1000, every: 0 }, { id: "loop" });
    const error = await rejection(run.result({ timeout: "5s" }));
    expect(HistoryLimitError.is(error)).toBe(true);
    expect(error).toMatchObject({ limit: "events", max: 50, reached: 51 });
    expect(error.message).toContain("history limit of 50 events");
    expect(error.message).toContain("ctx.continueAsNew");
    const history = await run.history();
    expect(history).toHaveLength(50);
    expect(history.at(-1)?.type).toBe("ExecutionFailed");
    expect(history.filter((e) => e.type === "StepSucceeded")).toHaveLength(24);
    const warnings = logs.filter((l) => l.message.startsWith("The journal has"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.fields).toMatchObject({ executionId: "loop", warnEvents: 20, maxEvents: 50 });
    // Logged by the append that crossed 20 events (appends add one or two).
    expect([20, 21]).toContain(warnings[0]?.fields.events);
    expect((await run.describe()).historyWarning).toContain("The journal has 50 events");
  });

  it("lets the same loop run to the end when it continues as new every 20 iterations", async () => {
    const { engine } = newEngine({ historyLimits: { maxEvents: 50 } });
    await startWorker(engine, { workflows: [counter] });
    const run = await engine.client.start(counter, { i: 0, until: 100, every: 20 }, { id: "loop-2" });
    expect(await run.result({ timeout: "5s" })).toEqual({ done: 100, run: "loop-2" });
    const runs = (await run.describe()).run;
    expect(runs).toBe(5);
    for (let n = 1; n <= runs; n++) expect((await run.history({ run: n })).length).toBeLessThan(50);
  });

  it("fails at maxBytes, naming the bytes", async () => {
    const big = workflow("big", async (ctx) => {
      for (;;) await ctx.step("blob", () => "x".repeat(1000));
    });
    const { engine } = newEngine({ historyLimits: { maxBytes: 10_000 } });
    await startWorker(engine, { workflows: [big] });
    const run = await engine.client.start(big, null, { id: "bytes" });
    const error = await rejection(run.result({ timeout: "5s" }));
    expect(error).toMatchObject({ name: "HistoryLimitError", limit: "bytes", max: 10_000 });
    expect(error.message).toContain("10000 bytes of encoded journal");
    expect((await run.history()).filter((e) => e.type === "StepSucceeded").length).toBe(8);
  });

  it("refuses any limit that is not an integer of at least its minimum, naming it (property)", () => {
    const bad = fc.oneof(
      fc.integer({ max: 0 }),
      fc.double({ noInteger: true }),
      fc.string(),
      fc.constant(null),
      fc.constant(Number.POSITIVE_INFINITY),
      fc.constant(Number.NaN),
    );
    const key = fc.constantFrom("warnEvents", "maxEvents", "maxBytes");
    fc.assert(
      fc.property(key, bad, (name, value) => {
        let thrown: unknown;
        try {
          resolveHistoryLimits({ [name]: value });
        } catch (error) {
          thrown = error;
        }
        expect(InvalidArgumentError.is(thrown)).toBe(true);
        expect((thrown as Error).message).toContain(`historyLimits.${name} must be an integer`);
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 2 ** 40 }), (value) => {
        expect(resolveHistoryLimits({ maxEvents: value }).maxEvents).toBe(value);
      }),
    );
  });

  it("refuses invalid limits with a message naming the option", () => {
    for (const [limits, text] of [
      [{ maxEvents: 1 }, "historyLimits.maxEvents must be an integer of at least 2"],
      [{ maxBytes: "50MB" }, "historyLimits.maxBytes must be an integer"],
      [{ maxEvent: 5 }, 'no option "maxEvent"'],
      [5, "historyLimits must be an object"],
    ] as const) {
      expect(() => newEngine({ store: memoryStore(), historyLimits: limits as never })).toThrow(text);
    }
  });
});
