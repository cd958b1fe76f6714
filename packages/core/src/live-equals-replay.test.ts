import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createEngine, memoryStore, type Store, workflow } from "./index.js";

/**
 * Deep equality as workflow code could tell values apart: same prototype, Object.is on
 * primitives (so -0 is not 0), same own keys and holes, typed arrays byte for byte.
 */
function sameValue(a: unknown, b: unknown, path = "$"): string | null {
  if (typeof a !== "object" || a === null || typeof b !== "object" || b === null) {
    return Object.is(a, b) ? null : `${path}: ${String(a)} is not ${String(b)}`;
  }
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return `${path}: prototypes differ`;
  if (a instanceof Date)
    return Object.is(a.getTime(), (b as Date).getTime()) ? null : `${path}: dates differ`;
  if (ArrayBuffer.isView(a)) {
    const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const y = new Uint8Array(
      (b as ArrayBufferView).buffer,
      (b as ArrayBufferView).byteOffset,
      (b as ArrayBufferView).byteLength,
    );
    return x.length === y.length && x.every((v, i) => v === y[i]) ? null : `${path}: bytes differ`;
  }
  const keysA = Reflect.ownKeys(a).map(String);
  const keysB = Reflect.ownKeys(b).map(String);
  if (keysA.join("\0") !== keysB.join("\0")) return `${path}: keys ${keysA} vs ${keysB}`;
  for (const key of keysA) {
    const found = sameValue(
      (a as Record<string, unknown>)[key],
      (b as Record<string, unknown>)[key],
      `${path}.${key}`,
    );
    if (found) return found;
  }
  return null;
}

class Money {
  constructor(readonly cents: number) {}
}

/** What workflow code sees of a settled operation: its value, or its error's class, message and fields. */
function seenOf(outcome: PromiseSettledResult<unknown>): unknown {
  if (outcome.status === "fulfilled") return { value: outcome.value };
  const error = outcome.reason as Error & { cause?: Error & { data?: unknown } };
  return {
    error: [Object.getPrototypeOf(error), error.message, error.cause && Object.getPrototypeOf(error.cause)],
    fields: error.cause && { ...error.cause },
  };
}

/**
 * Runs a workflow that takes `value` as a step result, as an error field, as an event
 * payload and as its input, once live up to a wait and then, on a fresh engine (a
 * crash: nothing kept in memory), by replay. Returns what the code saw each time.
 */
async function liveAndReplayed(value: () => unknown) {
  const seen: unknown[][] = [];
  const probe = workflow("probe", async (ctx, input: unknown) => {
    const views: unknown[] = [{ value: input }];
    views.push(
      seenOf(
        (await Promise.allSettled([ctx.step("result", () => value())]))[0] as PromiseSettledResult<unknown>,
      ),
    );
    views.push(
      seenOf(
        (
          await Promise.allSettled([
            ctx.step(
              "throws",
              () => {
                throw Object.assign(new Error("with a field"), { detail: value() });
              },
              { retry: { maxAttempts: 1 } },
            ),
          ])
        )[0] as PromiseSettledResult<unknown>,
      ),
    );
    views.push({ value: await ctx.waitForEvent("payload") });
    seen.push(views);
    await ctx.waitForEvent("go");
    return null;
  });
  const store: Store = memoryStore();
  const first = createEngine({ store, pollInterval: 20, log: () => {} });
  const worker = first.worker({ workflows: [probe], leaseMs: 5_000 });
  await worker.start();
  let input: unknown;
  try {
    input = value();
    await first.client.start(probe, input, { id: "probe-1" });
  } catch {
    input = null; // not plain data: the input check refuses it before anything runs
    await first.client.start(probe, null, { id: "probe-1" });
  }
  try {
    await first.client.sendEvent("probe-1", "payload", value());
  } catch {
    await first.client.sendEvent("probe-1", "payload", null);
  }
  while (seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 2));
  await worker.stop();

  const second = createEngine({ store, pollInterval: 20, log: () => {} });
  const replayer = second.worker({ workflows: [probe], leaseMs: 5_000 });
  await replayer.start();
  try {
    await second.client.sendEvent("probe-1", "go");
    await second.client.result("probe-1", { timeout: "5s" });
  } finally {
    await replayer.stop();
  }
  return { live: seen[0], replayed: seen[1] };
}

describe("the value workflow code sees live equals the value it sees on replay", () => {
  it.each([
    ["a Buffer", () => Buffer.from("hi")],
    ["-0", () => -0],
    ["a string with a lone surrogate", () => "cut \uD83D here"],
    ["an object with -0 inside", () => ({ a: [-0, 1] })],
    ["a Date", () => new Date(Date.UTC(2030, 0, 1))],
    ["an object without prototype", () => Object.assign(Object.create(null), { a: 1 })],
    ["a sparse array", () => Object.assign(new Array(3), { 0: 1, 2: 3 })],
    [
      "one object twice",
      () => {
        const shared = { n: 1 };
        return { a: shared, b: shared };
      },
    ],
    ["a class instance", () => new Money(100)],
    ["a Uint8Array inside an array", () => [new Uint8Array([1, 2])]],
  ])("%s", async (_name, value) => {
    const { live, replayed } = await liveAndReplayed(value);
    expect(sameValue(live, replayed)).toBeNull();
  });

  it("a Buffer step result reads the same live and on replay: toString() of the decoded bytes", async () => {
    const { live } = await liveAndReplayed(() => Buffer.from("hi"));
    const result = ((live ?? [])[1] as { value: Uint8Array }).value;
    expect(Object.getPrototypeOf(result)).toBe(Uint8Array.prototype);
    expect(new TextDecoder().decode(result)).toBe("hi");
  });

  it("fails a step whose result is nested too deep to be read back, instead of journaling it", async () => {
    let deep: unknown = "bottom";
    for (let i = 0; i < 100; i++) deep = [deep];
    const store = memoryStore();
    const engine = createEngine({ store, pollInterval: 20, log: () => {} });
    const nested = workflow("nested", async (ctx, _input: null) => {
      try {
        await ctx.step("deep", () => deep);
        return "succeeded";
      } catch (error) {
        return String((error as Error).message);
      }
    });
    const worker = engine.worker({ workflows: [nested] });
    await worker.start();
    try {
      const run = await engine.client.start(nested, null);
      const message = await run.result({ timeout: "5s" });
      expect(message).toMatch(
        /^Step "deep" failed after 1 attempt: SerializationError: StepSucceeded event \(op 0\) cannot be journaled: a value that cannot be read back/,
      );
      expect((await run.describe()).status).toBe("succeeded");
    } finally {
      await worker.stop();
    }
  });

  it("holds for arbitrary values, Buffers, -0, class instances, Dates and typed arrays", async () => {
    const values = fc.oneof(
      fc.anything({
        withDate: true,
        withTypedArray: true,
        withSparseArray: true,
        withNullPrototype: true,
        withMap: true,
        withSet: true,
        withBigInt: true,
        withBoxedValues: true,
        withUnicodeString: true,
      }),
      fc.string().map((s) => Buffer.from(s)),
      fc.constant(-0),
      fc.double().map((n) => new Money(n)),
      fc.array(
        fc.oneof(fc.constant(-0), fc.date({ noInvalidDate: false }), fc.uint8Array(), fc.float64Array()),
      ),
    );
    await fc.assert(
      fc.asyncProperty(values, async (value) => {
        const { live, replayed } = await liveAndReplayed(() => value);
        const difference = sameValue(live, replayed);
        if (difference) throw new Error(difference);
      }),
      { numRuns: 40 },
    );
  }, 60_000);
});
