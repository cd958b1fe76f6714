import fc from "fast-check";
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  CancelledError,
  ErrorRegistry,
  InvalidArgumentError,
  type JournalEvent,
  MapFailedError,
  type MapItemResult,
  StepFailedError,
  TerminalError,
  WorkflowRun,
  workflow,
} from "./index.js";
import { allowedFailures } from "./map.js";
import { newEngine, rejection, startWorker } from "./testing/engine-kit.js";

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Step bodies of `gauge` running right now, and the most seen at once. */
const gauge = { running: 0, most: 0, calls: 0 };

const fetchAll = workflow("map-fetch-all", async (ctx, input: { items: number; concurrency: number }) => {
  const items = Array.from({ length: input.items }, (_, i) => i);
  return ctx.map(
    "fetch-all",
    items,
    (ctx, item, index) =>
      ctx.step("fetch", async () => {
        gauge.calls++;
        gauge.running++;
        gauge.most = Math.max(gauge.most, gauge.running);
        // Items take different times, so they finish out of order.
        await tick(1 + ((item * 7) % 4));
        gauge.running--;
        return { item, index, square: item * item };
      }),
    { concurrency: input.concurrency },
  );
});

function resetGauge() {
  gauge.running = 0;
  gauge.most = 0;
  gauge.calls = 0;
}

describe("ctx.map on a worker", () => {
  it("runs at most `concurrency` step bodies at once and returns the results in item order", async () => {
    resetGauge();
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [fetchAll], concurrency: 10 });
    const run = await engine.client.start(fetchAll, { items: 100, concurrency: 5 });
    const results = await run.result({ timeout: "30s" });
    expect(gauge.most).toBe(5);
    expect(gauge.calls).toBe(100);
    expect(results).toEqual(Array.from({ length: 100 }, (_, i) => ({ item: i, index: i, square: i * i })));
    const history = await run.history();
    const names = history.flatMap((e) => (e.type === "StepScheduled" ? [e.name] : []));
    expect(names.length).toBe(100);
    expect(names[0]).toBe("fetch");
    expect(new Set(names).size).toBe(100);
    expect(names).toContain("fetch#100");
    // No marker of the map: the journal holds the items' steps and the end only.
    expect(new Set(history.map((e) => e.type))).toEqual(
      new Set(["ExecutionStarted", "StepScheduled", "StepSucceeded", "ExecutionSucceeded"]),
    );
    // Items start in index order: the k-th StepScheduled by op belongs to item k.
    const byOp = history
      .filter((e): e is Extract<JournalEvent, { type: "StepSucceeded" }> => e.type === "StepSucceeded")
      .sort((a, b) => a.op - b.op)
      .map((e) => (e.result as { item: number }).item);
    expect(byOp).toEqual(Array.from({ length: 100 }, (_, i) => i));
  }, 30_000);

  it("never has more items in flight than the limit, whatever the limit and the item count", async () => {
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [fetchAll], concurrency: 10 });
    for (const [items, concurrency] of [
      [7, 1],
      [12, 3],
      [4, 10],
    ] as const) {
      resetGauge();
      const run = await engine.client.start(fetchAll, { items, concurrency });
      const results = (await run.result({ timeout: "30s" })) as { item: number }[];
      expect({ items, concurrency, most: gauge.most }).toEqual({
        items,
        concurrency,
        most: Math.min(items, concurrency),
      });
      expect(results.map((r) => r.item)).toEqual(Array.from({ length: items }, (_, i) => i));
    }
  }, 30_000);

  it("maps 10,000 items with concurrency 50 on the memory store: 20,000 step events, results in order", async () => {
    const many = workflow("map-many", async (ctx, count: number) => {
      const results = await ctx.map(
        "square",
        Array.from({ length: count }, (_, i) => i),
        (ctx, item) => ctx.step("square", () => item * item),
        { concurrency: 50 },
      );
      return { count: results.length, sum: results.reduce((a, b) => a + b, 0), last: results.at(-1) };
    });
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [many], concurrency: 4, leaseMs: 30_000 });
    const run = await engine.client.start(many, 10_000);
    const output = await run.result({ timeout: "60s" });
    let sum = 0;
    for (let i = 0; i < 10_000; i++) sum += i * i;
    expect(output).toEqual({ count: 10_000, sum, last: 9_999 * 9_999 });
    const history = await run.history();
    expect(history.length).toBe(20_002);

    // The final journal replays to the same output without running a step.
    const replayed = new WorkflowRun({
      definition: many as never,
      executionId: run.id,
      journal: history.slice(0, -1),
      errors: new ErrorRegistry(),
    });
    await replayed.replay();
    expect(replayed.blocked).toBeUndefined();
    expect(replayed.outcome).toEqual({ type: "succeeded", output });
    expect(replayed.takeRunnableSteps(Date.now())).toEqual([]);
  }, 60_000);

  it("reads the items once: changing the array during the map changes nothing", async () => {
    const growing = workflow("map-growing", async (ctx, count: number) => {
      const items = Array.from({ length: count }, (_, i) => i);
      return ctx.map(
        "grow",
        items,
        async (c, item) => {
          items.push(item + 100);
          items[item + 1] = -1;
          return c.step("id", () => item);
        },
        { concurrency: 1 },
      );
    });
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [growing] });
    const run = await engine.client.start(growing, 3);
    expect(await run.result({ timeout: "10s" })).toEqual([0, 1, 2]);
  });

  it("accepts any iterable (read once) and an empty one", async () => {
    const fromSet = workflow("map-set", async (ctx, words: string[]) => {
      const lengths = await ctx.map(
        "lengths",
        new Set(words),
        (ctx, word) => ctx.step("length", () => word.length),
        { concurrency: 2 },
      );
      const none = await ctx.map("none", [] as number[], async () => 1, { concurrency: 3 });
      return { lengths, none };
    });
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [fromSet] });
    const run = await engine.client.start(fromSet, ["a", "bb", "a", "cccc"]);
    expect(await run.result({ timeout: "10s" })).toEqual({ lengths: [1, 2, 4], none: [] });
  });
});

/** Item i fails (TerminalError, one attempt) when i is in `failing`. */
const flaky = workflow(
  "map-flaky",
  async (ctx, input: { items: number; failing: number[]; concurrency: number; tolerated?: number }) => {
    const items = Array.from({ length: input.items }, (_, i) => i);
    const work = (c: typeof ctx, item: number) =>
      c.step("work", () => {
        if (input.failing.includes(item)) throw new TerminalError(`item ${item} is bad`);
        return item * 10;
      });
    if (input.tolerated === undefined)
      return ctx.map("work-all", items, work, { concurrency: input.concurrency });
    const results = await ctx.map("work-all", items, work, {
      concurrency: input.concurrency,
      toleratedFailures: input.tolerated,
    });
    return results.map((r) =>
      r.ok ? { index: r.index, value: r.value } : { index: r.index, error: String(r.error) },
    );
  },
);

describe("ctx.map failures", () => {
  it("fails at the first failed item with MapFailedError naming it and its cause; starts no item after it", async () => {
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [flaky] });
    const run = await engine.client.start(flaky, { items: 20, failing: [3], concurrency: 2 });
    const error = await rejection(run.result({ timeout: "10s" }));
    expect(MapFailedError.is(error), String(error)).toBe(true);
    const failed = error as MapFailedError;
    expect(failed.name).toBe("MapFailedError");
    expect(failed.code).toBe("STEPLINE_MAP_FAILED");
    expect(failed.message).toContain('ctx.map("work-all") failed: item 3 of 20 failed with StepFailedError');
    expect(failed.message).toContain("item 3 is bad");
    expect(failed.message).toContain("See docs/map.md");
    // Rebuilt from the journal: the fields that are plain data, and the cause.
    expect(failed.map).toBe("work-all");
    expect(failed.index).toBe(3);
    expect(failed.failedItems).toEqual([3]);
    expect(StepFailedError.is(failed.cause)).toBe(true);
    const scheduled = (await run.history()).filter((e) => e.type === "StepScheduled").length;
    // Items 0-3 started, and item 4 when item 2 ended before item 3 failed; never item 5.
    expect(scheduled).toBeGreaterThanOrEqual(4);
    expect(scheduled).toBeLessThanOrEqual(5);
  });

  it("in the workflow, gives every failure with its error and the items still in flight", async () => {
    const seen: unknown[] = [];
    const probe = workflow("map-probe-failure", async (ctx) => {
      try {
        await ctx.map(
          "probe",
          [0, 1, 2, 3],
          async (c, item) => {
            if (item === 1) return c.waitForEvent("never");
            return c.step("item", () => {
              if (item >= 2) throw new TerminalError(`no ${item}`);
              return item;
            });
          },
          { concurrency: 4, toleratedFailures: 1 },
        );
      } catch (error) {
        const e = error as MapFailedError;
        seen.push({
          is: MapFailedError.is(e),
          index: e.index,
          failedItems: e.failedItems,
          inFlight: e.inFlight,
          failures: e.failures.map((f) => [f.index, StepFailedError.is(f.error)]),
        });
        return "caught";
      }
      return "not caught";
    });
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [probe] });
    const run = await engine.client.start(probe, null);
    expect(await run.result({ timeout: "10s" })).toBe("caught");
    expect(seen).toEqual([
      {
        is: true,
        index: 3,
        failedItems: [2, 3],
        inFlight: [1],
        failures: [
          [2, true],
          [3, true],
        ],
      },
    ]);
  });

  it("with toleratedFailures as a count, succeeds while failures <= the count and reports which items failed", async () => {
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [flaky] });
    const run = await engine.client.start(flaky, { items: 6, failing: [1, 4], concurrency: 3, tolerated: 2 });
    const output = (await run.result({ timeout: "10s" })) as {
      index: number;
      value?: number;
      error?: string;
    }[];
    expect(output.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(output.filter((r) => r.error).map((r) => r.index)).toEqual([1, 4]);
    expect(output[1]?.error).toContain('Step "work#2" failed after 1 attempt: TerminalError: item 1 is bad');
    expect(output.filter((r) => !r.error).map((r) => r.value)).toEqual([0, 20, 30, 50]);

    const over = await engine.client.start(flaky, {
      items: 6,
      failing: [1, 4, 5],
      concurrency: 1,
      tolerated: 2,
    });
    const error = (await rejection(over.result({ timeout: "10s" }))) as MapFailedError;
    expect(MapFailedError.is(error)).toBe(true);
    expect(error.message).toContain(
      'ctx.map("work-all") failed: 3 of 6 items failed (items 1, 4, 5), more than the 2 that toleratedFailures: 2 allows; the last, item 5',
    );
    expect(error.failedItems).toEqual([1, 4, 5]);
    expect(error.index).toBe(5);
  });

  it("with toleratedFailures as a fraction, allows floor(fraction * items) failures", async () => {
    expect(allowedFailures(0.25, 10)).toBe(2);
    expect(allowedFailures(0.1, 9)).toBe(0);
    expect(allowedFailures(3, 2)).toBe(3);
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [flaky] });
    const ok = await engine.client.start(flaky, {
      items: 10,
      failing: [0, 9],
      concurrency: 4,
      tolerated: 0.25,
    });
    const output = (await ok.result({ timeout: "10s" })) as { error?: string }[];
    expect(output.filter((r) => r.error).length).toBe(2);
    const over = await engine.client.start(flaky, {
      items: 10,
      failing: [0, 5, 9],
      concurrency: 4,
      tolerated: 0.25,
    });
    const error = (await rejection(over.result({ timeout: "10s" }))) as MapFailedError;
    expect(error.message).toContain(
      "3 of 10 items failed (items 0, 5, 9), more than the 2 that toleratedFailures: 0.25 allows",
    );
  });

  it("toleratedFailures: 0 gives the per-item shape and fails at the first failure", async () => {
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [flaky] });
    const ok = await engine.client.start(flaky, { items: 3, failing: [], concurrency: 3, tolerated: 0 });
    expect(await ok.result({ timeout: "10s" })).toEqual([
      { index: 0, value: 0 },
      { index: 1, value: 10 },
      { index: 2, value: 20 },
    ]);
    const bad = await engine.client.start(flaky, { items: 3, failing: [2], concurrency: 3, tolerated: 0 });
    expect(MapFailedError.is(await rejection(bad.result({ timeout: "10s" })))).toBe(true);
  });

  it("passes a CancelledError through as it is, not as an item failure", async () => {
    const cancelled = workflow("map-cancelled", async (ctx) =>
      ctx.map(
        "c",
        [0, 1],
        async (c, item) => {
          await c.step("before", () => item);
          if (item === 1) throw new CancelledError("cancelled while mapping");
          return item;
        },
        { concurrency: 2, toleratedFailures: 5 },
      ),
    );
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [cancelled] });
    const run = await engine.client.start(cancelled, null);
    const error = await rejection(run.result({ timeout: "10s" }));
    expect(CancelledError.is(error)).toBe(true);
    expect(error.message).toBe("cancelled while mapping");
  });
});

describe("ctx.map under replay", () => {
  /** Two steps per item, so that items interleave; `order` records what the code did, live and on replay. */
  const order: string[] = [];
  const twoSteps = workflow("map-two-steps", async (ctx, count: number) => {
    const results = await ctx.map(
      "pairs",
      Array.from({ length: count }, (_, i) => i),
      async (c, item, index) => {
        order.push(`start ${index}`);
        const a = await c.step("a", async () => {
          await tick(item % 3);
          return item + 1;
        });
        const b = await c.step("b", () => a * 2);
        order.push(`end ${index}`);
        return b;
      },
      { concurrency: 3 },
    );
    return results;
  });

  it("replays a journal recorded live to the same result and the same order of ops and items", async () => {
    order.length = 0;
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [twoSteps] });
    const run = await engine.client.start(twoSteps, 12);
    const output = await run.result({ timeout: "10s" });
    expect(output).toEqual(Array.from({ length: 12 }, (_, i) => (i + 1) * 2));
    const liveOrder = [...order];
    const history = await run.history();

    order.length = 0;
    const replayed = new WorkflowRun({
      definition: twoSteps as never,
      executionId: run.id,
      journal: history.slice(0, -1),
      errors: new ErrorRegistry(),
    });
    await replayed.replay();
    expect(replayed.blocked).toBeUndefined();
    expect(replayed.outcome).toEqual({ type: "succeeded", output });
    expect(order).toEqual(liveOrder);
    expect(replayed.takeNewEvents()).toEqual([{ type: "ExecutionSucceeded", output }]);
  });

  it("blocks with NonDeterminismError when the concurrency changes under a recorded journal", async () => {
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [twoSteps] });
    const run = await engine.client.start(twoSteps, 6);
    await run.result({ timeout: "10s" });
    const history = await run.history();
    const changed = workflow("map-two-steps", async (ctx, count: number) =>
      ctx.map(
        "pairs",
        Array.from({ length: count }, (_, i) => i),
        async (c, item) => c.step("b", () => item),
        { concurrency: 3 },
      ),
    );
    const replayed = new WorkflowRun({
      definition: changed as never,
      executionId: run.id,
      journal: history.slice(0, -1),
      errors: new ErrorRegistry(),
    });
    await replayed.replay();
    expect(replayed.blocked?.message).toContain('the journal has step "a", the code asked for step "b"');
  });
});

describe("ctx.map types", () => {
  it("resolves to R[] without toleratedFailures and to MapItemResult<R>[] with it (checked by tsc)", async () => {
    const typed = workflow("map-typed", async (ctx) => {
      const plain = await ctx.map("plain", [1, 2], async (c, n) => c.step("s", () => String(n)), {
        concurrency: 1,
      });
      expectTypeOf(plain).toEqualTypeOf<string[]>();
      const settled = await ctx.map("settled", new Set([1]), (_c, n, index) => n + index, {
        concurrency: 1,
        toleratedFailures: 0.5,
      });
      expectTypeOf(settled).toEqualTypeOf<MapItemResult<number>[]>();
      const first = settled[0];
      if (first?.ok) expectTypeOf(first.value).toEqualTypeOf<number>();
      return { plain, settled };
    });
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [typed] });
    const run = await engine.client.start(typed, null);
    expect(await run.result({ timeout: "10s" })).toEqual({
      plain: ["1", "2"],
      settled: [{ index: 0, ok: true, value: 1 }],
    });
  });
});

describe("ctx.map bad input", () => {
  const badMap = workflow(
    "map-bad",
    async (ctx, input: { name?: unknown; items?: unknown; options?: unknown }) =>
      // biome-ignore lint/suspicious/noExplicitAny: bad input on purpose.
      (ctx.map as any)(
        input.name ?? "m",
        input.items ?? [1],
        async () => 1,
        "options" in input ? input.options : { concurrency: 1 },
      ),
  );

  /** Runs ctx.map with bad arguments in a WorkflowRun and returns how the workflow ended. */
  async function outcomeOf(input: { name?: unknown; items?: unknown; options?: unknown; fn?: unknown }) {
    const definition = input.fn
      ? workflow("map-bad-fn", async (ctx) =>
          // biome-ignore lint/suspicious/noExplicitAny: bad input on purpose.
          (ctx.map as any)("m", [1], input.fn, { concurrency: 1 }),
        )
      : badMap;
    const run = new WorkflowRun({
      definition: definition as never,
      executionId: "bad-1",
      journal: [
        { type: "ExecutionStarted", seq: 0, at: 1, workflow: definition.name, version: 1, input, seed: 1 },
      ],
      errors: new ErrorRegistry(),
    });
    await run.replay();
    return run.outcome;
  }

  it.each([
    [
      "items that are a number",
      { items: 5 },
      'ctx.map("m"): items must be an array (or another iterable, such as a Set); got 5.',
    ],
    [
      "items that are a string",
      { items: "abc" },
      'items must be an array (or another iterable, such as a Set); got "abc"',
    ],
    ["items that are a plain object", { items: { length: 2 } }, "got an object"],
    [
      "no options",
      { options: null },
      'ctx.map("m"): options must be an object with a concurrency, e.g. { concurrency: 10 }; got null.',
    ],
    [
      "concurrency 0",
      { options: { concurrency: 0 } },
      'ctx.map("m"): concurrency must be an integer from 1 to 100000; got 0.',
    ],
    [
      "concurrency left out",
      { options: {} },
      "concurrency must be an integer from 1 to 100000; got undefined",
    ],
    ["concurrency 2.5", { options: { concurrency: 2.5 } }, "got 2.5"],
    ["concurrency '5'", { options: { concurrency: "5" } }, 'got "5"'],
    [
      "toleratedFailures -1",
      { options: { concurrency: 1, toleratedFailures: -1 } },
      'ctx.map("m"): toleratedFailures must be a count of items (an integer, 0 or more) or a fraction of the items (a number greater than 0 and less than 1, e.g. 0.1 for 10%); got -1.',
    ],
    ["toleratedFailures 1.5", { options: { concurrency: 1, toleratedFailures: 1.5 } }, "got 1.5"],
    ["toleratedFailures NaN", { options: { concurrency: 1, toleratedFailures: Number.NaN } }, "got NaN"],
    ["toleratedFailures '10%'", { options: { concurrency: 1, toleratedFailures: "10%" } }, 'got "10%"'],
    ["a name ending in #2", { name: "m#2" }, 'ctx.map: the map name "m#2" ends in "#2"'],
    ["an empty name", { name: "" }, "ctx.map: the map name"],
    [
      "fn not a function",
      { fn: "nope" },
      'ctx.map("m"): fn must be a function (ctx, item, index) => result; got "nope".',
    ],
  ])("refuses %s with InvalidArgumentError", async (_, input, message) => {
    const outcome = await outcomeOf(input);
    expect(outcome?.type).toBe("failed");
    const error = (outcome as { error: Error }).error;
    expect(InvalidArgumentError.is(error), String(error)).toBe(true);
    expect(error.message).toContain(message);
  });

  it("refuses every bad concurrency and toleratedFailures value, and accepts every good one (property)", async () => {
    const badConcurrency = fc.oneof(
      fc.integer({ max: 0 }),
      fc.integer({ min: 100_001 }),
      fc.double({ noInteger: true }),
      fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, null, "3", [], {}),
    );
    const badTolerated = fc.oneof(
      fc.integer({ max: -1 }),
      fc.double({ min: 1, noInteger: true, noNaN: true }),
      fc.double({ max: 0, noInteger: true }),
      fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -0.5, "1", true, null),
    );
    const goodTolerated = fc.oneof(
      fc.nat(),
      fc.double({ min: Number.MIN_VALUE, max: 1, maxExcluded: true, noNaN: true }),
    );
    await fc.assert(
      fc.asyncProperty(badConcurrency, async (concurrency) => {
        const outcome = await outcomeOf({ options: { concurrency } });
        const error = (outcome as { error: Error }).error;
        return InvalidArgumentError.is(error) && error.message.includes("concurrency must be");
      }),
      { numRuns: 100 },
    );
    await fc.assert(
      fc.asyncProperty(badTolerated, async (toleratedFailures) => {
        const outcome = await outcomeOf({ options: { concurrency: 2, toleratedFailures } });
        const error = (outcome as { error: Error }).error;
        return InvalidArgumentError.is(error) && error.message.includes("toleratedFailures must be");
      }),
      { numRuns: 100 },
    );
    await fc.assert(
      fc.asyncProperty(
        goodTolerated,
        fc.integer({ min: 1, max: 100_000 }),
        async (toleratedFailures, concurrency) => {
          const outcome = await outcomeOf({ options: { concurrency, toleratedFailures } });
          const results = (outcome as { output: MapItemResult<number>[] }).output;
          return outcome?.type === "succeeded" && results.length === 1 && results[0]?.ok === true;
        },
      ),
      { numRuns: 100 },
    );
  });
});
