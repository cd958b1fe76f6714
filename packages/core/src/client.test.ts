import { describe, expect, it } from "vitest";
import {
  CancelledError,
  DEFAULT_MAX_EVENT_BYTES,
  ExecutionAlreadyExistsError,
  ExecutionFinishedError,
  ExecutionNotFoundError,
  type ExecutionStatus,
  InvalidArgumentError,
  PayloadTooLargeError,
  SerializationError,
  TimeoutError,
  UnknownWorkflowError,
  workflow,
} from "./index.js";
import { deferred, newEngine, rejection, startWorker, waitUntil } from "./testing/engine-kit.js";

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a throw");
}

const echo = workflow("echo", async (_ctx, input: unknown) => input);

/** Waits for event "go" and returns its payload. */
const waiter = workflow("waiter", async (ctx, _input: unknown) => {
  const payload = await ctx.waitForEvent("go");
  return { got: payload };
});

describe("client.start", () => {
  it("is idempotent on the execution id: one execution, one ExecutionStarted, steps run once", async () => {
    const { engine } = newEngine();
    let calls = 0;
    const counted = workflow("counted", async (ctx, n: number) => {
      const doubled = await ctx.step("double", () => {
        calls++;
        return n * 2;
      });
      return doubled;
    });
    await startWorker(engine, { workflows: [counted] });

    const first = await engine.client.start(counted, 21, { id: "order-1" });
    // A retried start (same workflow, equal input) attaches: the default ifExists: "attach".
    const second = await engine.client.start(counted, 21, { id: "order-1" });

    expect(first.id).toBe("order-1");
    expect(second.id).toBe("order-1");
    expect(await second.result()).toBe(42);
    // A third start after the end still attaches and does not run it again.
    const third = await engine.client.start(counted, 21, { id: "order-1" });
    expect(await third.result()).toBe(42);
    expect(await engine.client.list()).toHaveLength(1);
    const history = await first.history();
    expect(history.filter((e) => e.type === "ExecutionStarted")).toHaveLength(1);
    expect(history[0]).toMatchObject({ type: "ExecutionStarted", input: 21 });
    expect(calls).toBe(1);
  });

  it('rejects a second start with ifExists: "fail" with ExecutionAlreadyExistsError naming the id', async () => {
    const { engine } = newEngine();
    await engine.client.start(echo, 1, { id: "dup-1" });
    const error = await rejection(engine.client.start(echo, 2, { id: "dup-1", ifExists: "fail" }));
    expect(ExecutionAlreadyExistsError.is(error)).toBe(true);
    expect(error.message).toContain('"dup-1"');
    expect((error as ExecutionAlreadyExistsError).executionId).toBe("dup-1");
    expect(await engine.client.list()).toHaveLength(1);
  });

  it("rejects the same id with a different workflow, naming both workflows", async () => {
    const { engine } = newEngine();
    await engine.client.start(echo, 1, { id: "shared-id" });
    const error = await rejection(engine.client.start(waiter, 1, { id: "shared-id" }));
    expect(ExecutionAlreadyExistsError.is(error)).toBe(true);
    expect(error.message).toContain('"shared-id"');
    expect(error.message).toContain('"echo"');
    expect(error.message).toContain('"waiter"');
    const [only] = await engine.client.list();
    expect(only?.workflow).toBe("echo");
  });

  it("gives one execution for 50 concurrent starts with one id", async () => {
    const { engine } = newEngine();
    let calls = 0;
    const once = workflow("once", async (ctx, _input: number) =>
      ctx.step("count", () => {
        calls++;
        return calls;
      }),
    );
    await startWorker(engine, { workflows: [once] });
    const handles = await Promise.all(
      Array.from({ length: 50 }, () => engine.client.start(once, 7, { id: "burst" })),
    );
    expect(new Set(handles.map((h) => h.id))).toEqual(new Set(["burst"]));
    expect(await handles[49]?.result()).toBe(1);
    expect(await engine.client.list()).toHaveLength(1);
    const history = await engine.client.history("burst");
    expect(history.filter((e) => e.type === "ExecutionStarted")).toHaveLength(1);
    expect(calls).toBe(1);
  });

  it("rejects an unknown workflow name with UnknownWorkflowError listing the registered ones; writes nothing", async () => {
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [echo, waiter] });
    const error = await rejection(engine.client.start("nope", { a: 1 }, { id: "x-1" }));
    expect(UnknownWorkflowError.is(error)).toBe(true);
    expect(error.message).toContain('"nope"');
    expect(error.message).toContain("registered: echo, waiter");
    expect(await engine.client.list()).toEqual([]);
    expect(ExecutionNotFoundError.is(await rejection(engine.client.describe("x-1")))).toBe(true);
  });

  it("starts a registered workflow by name", async () => {
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [echo] });
    const run = await engine.client.start("echo", { by: "name" });
    expect(await run.result()).toEqual({ by: "name" });
  });

  class Money {
    constructor(readonly cents: number) {}
  }
  const cycle: Record<string, unknown> = { name: "loop" };
  cycle.self = cycle;

  it.each([
    ["a function", { a: { b: () => 1 } }, "$.a.b", "a function"],
    ["a symbol", { a: { b: Symbol("s") } }, "$.a.b", "a symbol"],
    ["a cycle", { a: { b: cycle } }, "$.a.b.self", "a circular reference"],
    ["a Map", { a: { b: new Map([["k", 1]]) } }, "$.a.b", "a Map"],
    ["a Set", { list: [1, new Set([1])] }, "$.list[1]", "an instance of Set"],
    ["a class instance", { a: { b: new Money(5) } }, "$.a.b", "an instance of Money"],
    ["a BigInt", { a: { b: 10n } }, "$.a.b", "a BigInt"],
    ["a top-level function", () => 1, "$", "a function"],
  ])(
    "rejects input holding %s with SerializationError naming the path; writes nothing",
    async (_what, input, path, problem) => {
      const { engine } = newEngine();
      const error = await rejection(engine.client.start(echo, input, { id: "bad-input" }));
      expect(SerializationError.is(error)).toBe(true);
      expect((error as SerializationError).path).toBe(path);
      expect(error.message).toContain(`at ${path}.`);
      expect(error.message).toContain(problem);
      expect(error.message).toContain('The input of workflow "echo"');
      expect(await engine.client.list()).toEqual([]);
    },
  );

  it("accepts plain data that survives the journal unchanged: nested objects, arrays, Date, Uint8Array", async () => {
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [echo] });
    const input = {
      text: "héllo",
      n: -1.5,
      yes: true,
      none: null,
      list: [1, [2, { deep: "x" }]],
      when: new Date("2024-05-01T10:00:00.000Z"),
      bytes: new Uint8Array([1, 2, 255]),
    };
    const run = await engine.client.start(echo, input);
    const output = (await run.result()) as typeof input;
    expect(output).toEqual(input);
    expect(output.when).toBeInstanceOf(Date);
    expect(output.bytes).toBeInstanceOf(Uint8Array);
  });

  it("rejects input above maxEventBytes with PayloadTooLargeError giving bytes and limit; writes nothing", async () => {
    const { engine } = newEngine({ maxEventBytes: 1024 });
    const error = await rejection(engine.client.start(echo, "x".repeat(2_000), { id: "big" }));
    expect(PayloadTooLargeError.is(error)).toBe(true);
    const tooLarge = error as PayloadTooLargeError;
    expect(tooLarge.limit).toBe(1024);
    expect(tooLarge.bytes).toBeGreaterThan(2_000);
    expect(error.message).toContain(`${tooLarge.bytes} bytes`);
    expect(error.message).toContain("limit of 1024 bytes");
    expect(error.message).toContain("maxEventBytes");
    expect(await engine.client.list()).toEqual([]);
    // Just under the limit is accepted.
    await engine.client.start(echo, "x".repeat(900), { id: "fits" });
    expect((await engine.client.list()).map((e) => e.id)).toEqual(["fits"]);
  });

  it("has a default limit of 2 MiB: a 3 MiB input is rejected, a 1 MiB one accepted", async () => {
    const { engine } = newEngine();
    expect(DEFAULT_MAX_EVENT_BYTES).toBe(2 * 1024 * 1024);
    const error = await rejection(engine.client.start(echo, "x".repeat(3 * 1024 * 1024)));
    expect(PayloadTooLargeError.is(error)).toBe(true);
    expect((error as PayloadTooLargeError).limit).toBe(2 * 1024 * 1024);
    expect(await engine.client.list()).toEqual([]);
    const run = await engine.client.start(echo, "x".repeat(1024 * 1024));
    expect((await engine.client.list()).map((e) => e.id)).toEqual([run.id]);
  });
});

describe("client.sendEvent", () => {
  it("rejects an unencodable or oversized payload and leaves the inbox unchanged", async () => {
    const { engine, store } = newEngine({ maxEventBytes: 1024 });
    await startWorker(engine, { workflows: [waiter] });
    const run = await engine.client.start(waiter, null);
    await waitUntil(async () => (await run.describe()).status === "waiting", "the execution waits");

    const unencodable = await rejection(run.sendEvent("go", { when: () => 1 }));
    expect(SerializationError.is(unencodable)).toBe(true);
    expect(unencodable.message).toContain('The payload of event "go"');
    expect(unencodable.message).toContain("$.when");

    const oversized = await rejection(run.sendEvent("go", "x".repeat(2_000)));
    expect(PayloadTooLargeError.is(oversized)).toBe(true);
    expect(oversized.message).toContain("limit of 1024 bytes");

    expect(await store.inbox.read(run.id)).toHaveLength(0);
    expect((await store.executions.get(run.id))?.inboxLength).toBe(0);
    expect((await run.describe()).status).toBe("waiting");

    await run.sendEvent("go", { ok: true });
    expect(await run.result()).toEqual({ got: { ok: true } });
  });

  it("throws ExecutionNotFoundError for an unknown id", async () => {
    const { engine } = newEngine();
    const error = await rejection(engine.client.sendEvent("no-such-run", "go", 1));
    expect(ExecutionNotFoundError.is(error)).toBe(true);
    expect(error.message).toContain('"no-such-run"');
  });

  it("throws ExecutionFinishedError naming the id and status for a finished execution", async () => {
    const { engine, store } = newEngine();
    await startWorker(engine, { workflows: [echo] });
    const run = await engine.client.start(echo, 1, { id: "done-1" });
    await run.result();
    const error = await rejection(run.sendEvent("go", 1));
    expect(ExecutionFinishedError.is(error)).toBe(true);
    expect(error.message).toContain('"done-1"');
    expect(error.message).toContain("succeeded");
    expect((error as ExecutionFinishedError).status).toBe("succeeded");
    expect(await store.inbox.read("done-1")).toHaveLength(0);
  });

  it("rejects an empty event name with InvalidArgumentError", async () => {
    const { engine } = newEngine();
    const run = await engine.client.start(waiter, null);
    const error = await rejection(run.sendEvent("", 1));
    expect(InvalidArgumentError.is(error)).toBe(true);
  });
});

describe("client.describe and list", () => {
  it("shows running, then waiting on waitForEvent, then succeeded with the output", async () => {
    const { engine } = newEngine();
    const gate = deferred();
    const lifecycle = workflow("lifecycle", async (ctx, input: { n: number }) => {
      const prepared = await ctx.step("prepare", async () => {
        await gate.promise;
        return input.n + 1;
      });
      const approval = await ctx.waitForEvent<string>("approval");
      return { prepared, approval };
    });
    await startWorker(engine, { workflows: [lifecycle] });
    const run = await engine.client.start(lifecycle, { n: 1 }, { id: "life-1" });

    const running = await run.describe();
    expect(running).toMatchObject({ id: "life-1", workflow: "lifecycle", status: "running" });
    expect(running.output).toBeUndefined();
    expect(running.error).toBeUndefined();
    expect(running.createdAt).toBeInstanceOf(Date);
    await waitUntil(async () => (await run.describe()).currentStep === "prepare", "the step runs");
    expect((await run.describe()).status).toBe("running");

    gate.resolve();
    await waitUntil(async () => (await run.describe()).status === "waiting", "the execution waits");
    const waiting = await run.describe();
    expect(waiting.currentStep).toBe("approval");
    expect(waiting.output).toBeUndefined();

    await run.sendEvent("approval", "yes");
    expect(await run.result()).toEqual({ prepared: 2, approval: "yes" });
    const done = await run.describe();
    expect(done.status).toBe("succeeded");
    expect(done.output).toEqual({ prepared: 2, approval: "yes" });
    expect(done.error).toBeUndefined();
    expect(done.historyLength).toBe((await run.history()).length);
    expect(done.updatedAt.getTime()).toBeGreaterThanOrEqual(done.createdAt.getTime());
  });

  it("gives a failed execution's error with the workflow's class, name and message", async () => {
    const { engine } = newEngine();
    const broken = workflow("broken", async (_ctx, _input: null) => {
      throw new TypeError("order.items is not iterable");
    });
    await startWorker(engine, { workflows: [broken] });
    const run = await engine.client.start(broken, null);
    await rejection(run.result());
    const description = await run.describe();
    expect(description.status).toBe("failed");
    expect(description.output).toBeUndefined();
    expect(description.error).toBeInstanceOf(TypeError);
    expect(description.error?.name).toBe("TypeError");
    expect(description.error?.message).toBe("order.items is not iterable");
  });

  it("throws ExecutionNotFoundError for an unknown id", async () => {
    const { engine } = newEngine();
    expect(ExecutionNotFoundError.is(await rejection(engine.client.describe("ghost")))).toBe(true);
    expect(ExecutionNotFoundError.is(await rejection(engine.client.history("ghost")))).toBe(true);
    expect(ExecutionNotFoundError.is(await rejection(engine.client.result("ghost")))).toBe(true);
  });

  it("lists newest first and filters by status, workflow and limit", async () => {
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [echo, waiter] });
    const done = [];
    for (const id of ["e1", "e2", "e3"]) {
      done.push(await engine.client.start(echo, id, { id }));
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    for (const run of done) await run.result();
    for (const id of ["w1", "w2"]) {
      await engine.client.start(waiter, id, { id });
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await waitUntil(
      async () => (await engine.client.list({ status: "waiting" })).length === 2,
      "both waiters wait",
    );

    const ids = async (filter: Parameters<typeof engine.client.list>[0]) =>
      (await engine.client.list(filter)).map((e) => e.id);
    expect(await ids({})).toEqual(["w2", "w1", "e3", "e2", "e1"]);
    expect(await ids({ status: "succeeded" })).toEqual(["e3", "e2", "e1"]);
    expect(await ids({ status: "waiting" })).toEqual(["w2", "w1"]);
    expect(await ids({ status: "failed" })).toEqual([]);
    expect(await ids({ workflow: "echo" })).toEqual(["e3", "e2", "e1"]);
    expect(await ids({ workflow: "waiter", status: "succeeded" })).toEqual([]);
    expect(await ids({ limit: 2 })).toEqual(["w2", "w1"]);
    expect(await ids({ workflow: "echo", limit: 1 })).toEqual(["e3"]);
    const [first] = await engine.client.list({ workflow: "waiter", limit: 1 });
    expect(first).toMatchObject({
      id: "w2",
      workflow: "waiter",
      status: "waiting" satisfies ExecutionStatus,
    });
  });
});

describe("client.result and cancel", () => {
  it("resolves with the output", async () => {
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [echo] });
    const run = await engine.client.start(echo, { total: 12.5 });
    expect(await run.result()).toEqual({ total: 12.5 });
    // Asking again after the end reads it from the journal.
    expect(await engine.client.result(run.id)).toEqual({ total: 12.5 });
  });

  it("rejects with the workflow's thrown error class and message", async () => {
    const { engine } = newEngine();
    class PaymentDeclined extends Error {
      override name = "PaymentDeclined";
    }
    const pay = workflow("pay", async (_ctx, kind: string) => {
      if (kind === "range") throw new RangeError("amount out of range");
      throw new PaymentDeclined("card declined: insufficient funds");
    });
    const engineWithErrors = newEngine({ errors: [PaymentDeclined] }).engine;
    for (const e of [engine, engineWithErrors]) await startWorker(e, { workflows: [pay] });

    const range = await rejection((await engine.client.start(pay, "range")).result());
    expect(range).toBeInstanceOf(RangeError);
    expect(range.message).toBe("amount out of range");

    const unregistered = await rejection((await engine.client.start(pay, "declined")).result());
    expect(unregistered.name).toBe("PaymentDeclined");
    expect(unregistered.message).toBe("card declined: insufficient funds");

    const registered = await rejection((await engineWithErrors.client.start(pay, "declined")).result());
    expect(registered).toBeInstanceOf(PaymentDeclined);
    expect(registered.message).toBe("card declined: insufficient funds");
  });

  it("rejects with TimeoutError when the execution does not finish in time", async () => {
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [waiter] });
    const run = await engine.client.start(waiter, null, { id: "slow-1" });
    await waitUntil(async () => (await run.describe()).status === "waiting", "the execution waits");
    const started = Date.now();
    const error = await rejection(run.result({ timeout: 50 }));
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(TimeoutError.is(error)).toBe(true);
    expect(error.message).toContain('"slow-1"');
    expect(error.message).toContain("waiting");
    // The timeout changes nothing about the execution.
    expect((await run.describe()).status).toBe("waiting");
  });

  it("cancels a waiting execution: CancelledError with the reason, status cancelled, ExecutionCancelled last", async () => {
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [waiter] });
    const run = await engine.client.start(waiter, null, { id: "cancel-me" });
    await waitUntil(async () => (await run.describe()).status === "waiting", "the execution waits");

    const pending = run.result();
    await run.cancel("customer changed their mind");
    const error = await rejection(pending);
    expect(CancelledError.is(error)).toBe(true);
    expect(error.message).toContain('"cancel-me"');
    expect(error.message).toContain("customer changed their mind");

    const description = await run.describe();
    expect(description.status).toBe("cancelled");
    expect(description.cancelRequested).toBe(false);
    expect(CancelledError.is(description.error)).toBe(true);
    const history = await run.history();
    expect(history.at(-1)).toMatchObject({
      type: "ExecutionCancelled",
      reason: "customer changed their mind",
    });
    expect(history.filter((e) => e.type === "ExecutionCancelled")).toHaveLength(1);
    // A cancelled execution takes no more events.
    expect(ExecutionFinishedError.is(await rejection(run.sendEvent("go", 1)))).toBe(true);
  });

  it("throws ExecutionFinishedError when cancelling a finished execution, and ExecutionNotFoundError for an unknown one", async () => {
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [echo] });
    const run = await engine.client.start(echo, 1, { id: "finished-1" });
    await run.result();
    const error = await rejection(run.cancel("too late"));
    expect(ExecutionFinishedError.is(error)).toBe(true);
    expect(error.message).toContain('"finished-1"');
    expect(error.message).toContain("succeeded");
    expect((await run.describe()).status).toBe("succeeded");
    expect(ExecutionNotFoundError.is(await rejection(engine.client.cancel("ghost")))).toBe(true);
  });

  it("cancels an execution that no worker has picked up yet: delivered at its first wait", async () => {
    const { engine } = newEngine();
    const run = await engine.client.start(waiter, null, { id: "never-ran" });
    await run.cancel();
    await startWorker(engine, { workflows: [waiter] });
    const error = await rejection(run.result());
    expect(CancelledError.is(error)).toBe(true);
    expect(error.message).toBe('Execution "never-ran" was cancelled.');
    const history = await run.history();
    expect(history.map((e) => e.type)).toEqual([
      "ExecutionStarted",
      "EventWaitStarted",
      "CancelRequested",
      "ExecutionCancelled",
    ]);
  });

  it("lets a workflow that ends before it awaits anything succeed: a cancel that races the end loses", async () => {
    const { engine } = newEngine();
    const run = await engine.client.start(echo, 1, { id: "too-quick" });
    await run.cancel({ reason: "late" });
    await startWorker(engine, { workflows: [echo] });
    expect(await run.result()).toBe(1);
    const history = await run.history();
    expect(history.map((e) => e.type)).toEqual(["ExecutionStarted", "ExecutionSucceeded"]);
    expect((await run.describe()).cancelRequested).toBe(false);
  });

  it("refuses cancel options that are not { reason?: string } with InvalidArgumentError, writing nothing", async () => {
    const { engine } = newEngine();
    const run = await engine.client.start(waiter, null, { id: "bad-cancel" });
    for (const options of [{ reason: 3 }, null, ["x"], 7] as never[]) {
      const error = await rejection(engine.client.cancel(run.id, options));
      expect(InvalidArgumentError.is(error), String(error)).toBe(true);
      expect(error.message).toContain("client.cancel(id");
    }
    expect((await run.describe()).cancelRequested).toBe(false);
  });
});

describe("workflow()", () => {
  it("rejects an empty name and a non-function body with InvalidArgumentError", () => {
    expect(InvalidArgumentError.is(thrown(() => workflow("", async () => 1)))).toBe(true);
    const notAFunction = thrown(() => workflow("x", 1 as never));
    expect(InvalidArgumentError.is(notAFunction)).toBe(true);
    expect(notAFunction.message).toContain('workflow("x", fn)');
  });
});

describe("client.list pages", () => {
  it("pages with after: the last description of a page gives the next, every execution once", async () => {
    const { engine } = newEngine();
    const paged = workflow("pagedList", async () => "done");
    for (let i = 0; i < 7; i++) await engine.client.start(paged, undefined, { id: `page-${i}` });
    const all = (await engine.client.list({ workflow: "pagedList" })).map((e) => e.id);
    const seen: string[] = [];
    let page = await engine.client.list({ workflow: "pagedList", limit: 3 });
    while (page.length > 0) {
      seen.push(...page.map((e) => e.id));
      page = await engine.client.list({ workflow: "pagedList", limit: 3, after: page.at(-1) });
    }
    expect(seen).toEqual(all);
    expect(seen).toHaveLength(7);
    const bad = await rejection(engine.client.list({ after: { id: "x" } as never }));
    expect(InvalidArgumentError.is(bad)).toBe(true);
    expect(bad.message).toContain("client.list: after must be the last execution of the previous page");
  });
});
