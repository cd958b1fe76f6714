import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  createEngine,
  EngineClosedError,
  type EngineOptions,
  InvalidArgumentError,
  memoryStore,
  workflow,
} from "./index.js";
import { resolveRetryPolicy } from "./retry-policy.js";
import { newEngine, rejection, startWorker } from "./testing/engine-kit.js";

const greet = workflow("greet", async (ctx, name: string) => ctx.step("compose", () => `Hello, ${name}`));

function thrownBy(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a throw");
}

function expectInvalid(error: unknown, ...parts: string[]): void {
  expect(InvalidArgumentError.is(error), String(error)).toBe(true);
  for (const part of parts) expect((error as Error).message).toContain(part);
}

describe("createEngine options", () => {
  it.each([
    ["{}", {}, "createEngine: store must be a Store"],
    ["undefined", undefined, "createEngine(options): options must be an object with a store"],
    ["a store that is not a Store", { store: { close() {} } }, "createEngine: store must be a Store"],
    [
      "pollInterval 0",
      { pollInterval: 0 },
      "createEngine: pollInterval must be a finite number of ms greater than 0",
    ],
    ["pollInterval -1", { pollInterval: -1 }, "createEngine: pollInterval"],
    ["pollInterval NaN", { pollInterval: Number.NaN }, "got NaN"],
    ["pollInterval Infinity", { pollInterval: Number.POSITIVE_INFINITY }, "got Infinity"],
    [
      "maxEventBytes 0",
      { maxEventBytes: 0 },
      "createEngine: maxEventBytes must be an integer from 1024 to 536870912; got 0",
    ],
    ["maxEventBytes -5", { maxEventBytes: -5 }, "createEngine: maxEventBytes"],
    ["maxEventBytes 2048.5", { maxEventBytes: 2048.5 }, "got 2048.5"],
    [
      "log that is not a function",
      { log: { info() {} } },
      "createEngine: log must be a function (level, message, fields) => void",
    ],
    ["a clock without sleep", { clock: { now: () => 0 } }, "createEngine: clock must be a Clock"],
  ])("refuses %s with InvalidArgumentError naming the option", (_, options, message) => {
    // Cases about another option get a valid store, so that the option is what is refused.
    const needsStore = options !== undefined && Object.keys(options).length > 0 && !("store" in options);
    const full = needsStore ? { store: memoryStore(), ...options } : options;
    expectInvalid(
      thrownBy(() => createEngine(full as EngineOptions)),
      message,
    );
  });
});

describe("engine.worker options", () => {
  it.each([
    [
      "concurrency 0",
      { concurrency: 0 },
      "engine.worker: concurrency must be an integer from 1 to 100000; got 0",
    ],
    ["concurrency '10'", { concurrency: "10" }, 'got "10"'],
    ["concurrency 1.5", { concurrency: 1.5 }, "got 1.5"],
    [
      "leaseMs '30000'",
      { leaseMs: "30000" },
      "engine.worker: leaseMs must be a finite number of ms at least 100",
    ],
    ["leaseMs NaN", { leaseMs: Number.NaN }, "got NaN"],
  ])("refuses %s", (_, options, message) => {
    const { engine } = newEngine();
    expectInvalid(
      thrownBy(() => engine.worker({ workflows: [greet], ...(options as object) })),
      message,
    );
  });
});

describe("client.list and client.start options", () => {
  it.each([
    [{ limit: -5 }, "client.list: limit must be an integer from 1 to 10000; got -5"],
    [{ limit: 0 }, "got 0"],
    [{ limit: 1.5 }, "got 1.5"],
    [{ limit: Number.NaN }, "got NaN"],
    [
      { status: "bogus" },
      'client.list: status must be one of "running", "sleeping", "waiting", "succeeded", "failed", "cancelled", "terminated", "timed_out", "blocked"; got "bogus"',
    ],
    [{ workflow: 42 }, "client.list: workflow (a workflow name) must be a non-empty string; got 42"],
  ])("client.list(%j) is refused", async (filter, message) => {
    const { engine } = newEngine();
    expectInvalid(await rejection(engine.client.list(filter as never)), message);
  });

  it("client.start(..., { ifExists: 'bogus' }) is refused and writes nothing", async () => {
    const { engine } = newEngine();
    const error = await rejection(
      engine.client.start(greet, "Ada", { id: "g-1", ifExists: "bogus" as never }),
    );
    expectInvalid(
      error,
      'client.start: ifExists must be one of "attach", "fail", "use-existing"; got "bogus"',
    );
    expect(await engine.client.list()).toEqual([]);
  });
});

describe("step options checked when the code reaches the step", () => {
  it.each([
    [{ retry: { nonRetryable: "TypeError" } }, "retry.nonRetryable must be an array of error names"],
    [
      { retry: { initialInterval: "10s", maxInterval: "1s" } },
      "retry.maxInterval (1000 ms) must not be shorter than retry.initialInterval (10000 ms)",
    ],
    [{ retry: { maxAttempts: 2.5 } }, "retry.maxAttempts must be an integer"],
    [{ timeout: 0 }, 'Invalid ctx.step("compose") timeout: 0'],
  ])("ctx.step with %j fails the execution with InvalidArgumentError", async (options, message) => {
    const { engine } = newEngine();
    const bad = workflow("badStep", async (ctx, _: null) => ctx.step("compose", () => 1, options as never));
    await startWorker(engine, { workflows: [bad] });
    const run = await engine.client.start(bad, null);
    expectInvalid(await rejection(run.result({ timeout: "5s" })), message);
  });
});

describe("after engine.close()", () => {
  it("start, sendEvent, cancel, list, describe, history and result reject with EngineClosedError", async () => {
    const { engine } = newEngine();
    const run = await engine.client.start(greet, "Ada", { id: "g-1" });
    await engine.close();
    const calls: [string, () => Promise<unknown>][] = [
      ["client.start", () => engine.client.start(greet, "Bob")],
      ["client.sendEvent", () => engine.client.sendEvent("g-1", "go")],
      ["client.cancel", () => engine.client.cancel("g-1")],
      ["client.list", () => engine.client.list()],
      ['read execution "g-1"', () => engine.client.describe("g-1")],
      ['read execution "g-1"', () => run.history()],
      ['read execution "g-1"', () => run.result({ timeout: "1s" })],
    ];
    for (const [action, call] of calls) {
      const error = await rejection(call());
      expect(EngineClosedError.is(error), `${action}: ${error}`).toBe(true);
      expect(error.message).toContain(`Cannot ${action}: this engine was closed`);
    }
    expect(EngineClosedError.is(thrownBy(() => engine.worker({ workflows: [greet] })))).toBe(true);
    await engine.close(); // closing twice does nothing
  });
});

/** Wrong values of each option, by kind: each must be refused naming the option. */
const wrongNumber = fc.oneof(
  fc.constantFrom(0, -1, -0.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e300),
  fc.double({ max: -Number.MIN_VALUE }),
  fc.string(),
  fc.boolean(),
  fc.constant(null),
  fc.object(),
);
const wrongInteger = fc.oneof(
  wrongNumber,
  fc.double({ min: 1.01, max: 1e6, noNaN: true }).filter((n) => !Number.isInteger(n)),
);

const wrongOptions: fc.Arbitrary<{ option: string; call: () => Promise<unknown> | unknown }> = fc.oneof(
  wrongNumber.map((v) => ({
    option: "pollInterval",
    call: () => createEngine({ store: memoryStore(), pollInterval: v as never }),
  })),
  wrongInteger
    .filter((v) => !(typeof v === "number" && v >= 1024 && v <= 512 * 1024 * 1024 && Number.isInteger(v)))
    .map((v) => ({
      option: "maxEventBytes",
      call: () => createEngine({ store: memoryStore(), maxEventBytes: v as never }),
    })),
  fc
    .anything()
    .filter((v) => typeof v !== "function" && v !== undefined)
    .map((v) => ({ option: "log", call: () => createEngine({ store: memoryStore(), log: v as never }) })),
  fc
    .anything()
    .filter((v) => v !== undefined)
    .map((v) => ({ option: "store", call: () => createEngine({ store: v as never }) })),
  wrongInteger.map((v) => ({
    option: "concurrency",
    call: () =>
      createEngine({ store: memoryStore() }).worker({ workflows: [greet], concurrency: v as never }),
  })),
  wrongNumber
    .filter((v) => !(typeof v === "number" && v >= 100 && v <= 1e12))
    .map((v) => ({
      option: "leaseMs",
      call: () => createEngine({ store: memoryStore() }).worker({ workflows: [greet], leaseMs: v as never }),
    })),
  wrongInteger.map((v) => ({
    option: "limit",
    call: () => createEngine({ store: memoryStore() }).client.list({ limit: v as never }),
  })),
  fc
    .anything()
    .filter(
      (v) =>
        v !== undefined &&
        !["running", "sleeping", "waiting", "succeeded", "failed", "cancelled", "blocked"].includes(
          v as string,
        ),
    )
    .map((v) => ({
      option: "status",
      call: () => createEngine({ store: memoryStore() }).client.list({ status: v as never }),
    })),
  fc
    .anything()
    .filter((v) => v !== undefined && v !== "attach" && v !== "fail")
    .map((v) => ({
      option: "ifExists",
      call: () => createEngine({ store: memoryStore() }).client.start(greet, "x", { ifExists: v as never }),
    })),
  fc
    .anything()
    .filter((v) => v !== undefined && !(Array.isArray(v) && v.every((x) => typeof x === "string")))
    .map((v) => ({ option: "retry.nonRetryable", call: () => resolve({ nonRetryable: v }) })),
  wrongInteger
    .filter((v) => v !== 0.5)
    .map((v) => ({ option: "retry.maxAttempts", call: () => resolve({ maxAttempts: v }) })),
  fc
    .tuple(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 1, max: 1e9 }))
    .filter(([a, b]) => b < a)
    .map(([initial, max]) => ({
      option: "retry.maxInterval",
      call: () => resolve({ initialInterval: initial, maxInterval: max }),
    })),
);

function resolve(policy: Record<string, unknown>) {
  return resolveRetryPolicy(policy as never);
}

describe("option checks, property", () => {
  it("refuses every wrong value of every checked option with InvalidArgumentError naming the option", async () => {
    await fc.assert(
      fc.asyncProperty(wrongOptions, async ({ option, call }) => {
        let error: unknown;
        try {
          await call();
        } catch (thrown) {
          error = thrown;
        }
        expect(InvalidArgumentError.is(error), `${option}: ${String(error)}`).toBe(true);
        expect((error as Error).message).toContain(option);
      }),
      { numRuns: 400 },
    );
  });
});
