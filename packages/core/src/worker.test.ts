import { describe, expect, it } from "vitest";
import {
  CancelledError,
  Codec,
  type Engine,
  type EventOfType,
  type JournalEvent,
  memoryStore,
  PayloadTooLargeError,
  SerializationError,
  StepFailedError,
  type StepInfo,
  type Store,
  TerminalError,
  TimeoutError,
  type WorkflowContext,
  workflow,
} from "./index.js";
import { deferred, newEngine, rejection, sleep, startWorker, waitUntil } from "./testing/engine-kit.js";

async function statusOf(engine: Engine, id: string) {
  return (await engine.client.describe(id)).status;
}

function eventsOf<T extends JournalEvent["type"]>(history: JournalEvent[], type: T): EventOfType<T>[] {
  return history.filter((e): e is EventOfType<T> => e.type === type);
}

describe("events", () => {
  it("keeps an event sent before the workflow reaches waitForEvent", async () => {
    const { engine } = newEngine();
    const gate = deferred();
    const early = workflow("early", async (ctx, _input: null) => {
      await ctx.step("prepare", () => gate.promise);
      return ctx.waitForEvent<{ approved: boolean }>("approval");
    });
    await startWorker(engine, { workflows: [early] });
    const run = await engine.client.start(early, null);
    await waitUntil(async () => (await run.describe()).currentStep === "prepare", "the step runs");

    await run.sendEvent("approval", { approved: true });
    gate.resolve();

    expect(await run.result({ timeout: 5_000 })).toEqual({ approved: true });
    const received = eventsOf(await run.history(), "EventReceived");
    expect(received).toEqual([expect.objectContaining({ op: 1, payload: { approved: true }, inboxSeq: 0 })]);
  });

  it("gives two events of one name to two successive waits, in the order sent", async () => {
    const { engine } = newEngine();
    const twice = workflow("twice", async (ctx, _input: null) => {
      const first = await ctx.waitForEvent("item");
      const second = await ctx.waitForEvent("item");
      return [first, second];
    });
    await startWorker(engine, { workflows: [twice] });
    const run = await engine.client.start(twice, null);
    await run.sendEvent("item", "a");
    await run.sendEvent("item", "b");
    expect(await run.result({ timeout: 5_000 })).toEqual(["a", "b"]);
    const received = eventsOf(await run.history(), "EventReceived");
    expect(received.map((e) => [e.op, e.inboxSeq, e.payload])).toEqual([
      [0, 0, "a"],
      [1, 1, "b"],
    ]);
  });

  it("keeps an event of another name buffered for a later wait of that name", async () => {
    const { engine } = newEngine();
    const buffered = workflow("buffered", async (ctx, _input: null) => {
      const shipped = await ctx.waitForEvent("shipped");
      const paid = await ctx.waitForEvent("paid");
      return { shipped, paid };
    });
    await startWorker(engine, { workflows: [buffered] });
    const run = await engine.client.start(buffered, null);
    await waitUntil(async () => (await run.describe()).status === "waiting", "the execution waits");

    await run.sendEvent("paid", 100);
    await sleep(50);
    expect((await run.describe()).status).toBe("waiting");
    expect(eventsOf(await run.history(), "EventReceived")).toEqual([]);

    await run.sendEvent("shipped", "DHL");
    expect(await run.result({ timeout: 5_000 })).toEqual({ shipped: "DHL", paid: 100 });
    const received = eventsOf(await run.history(), "EventReceived");
    expect(received.map((e) => [e.op, e.inboxSeq])).toEqual([
      [0, 1],
      [1, 0],
    ]);
  });

  it("delivers an event that arrives while a short wait timeout is held in memory", async () => {
    const { engine } = newEngine();
    const quick = workflow("quick", async (ctx, _input: null) => {
      try {
        return await ctx.waitForEvent("reply", { timeout: 800 });
      } catch (error) {
        return TimeoutError.is(error) ? "timed out" : "other error";
      }
    });
    await startWorker(engine, { workflows: [quick] });
    const run = await engine.client.start(quick, null);
    await waitUntil(async () => (await run.describe()).currentStep === "reply", "the wait starts");
    await sleep(30);
    await run.sendEvent("reply", "pong");
    expect(await run.result({ timeout: 5_000 })).toBe("pong");
    const history = await run.history();
    expect(eventsOf(history, "EventWaitTimedOut")).toEqual([]);
    // Received well before the timeout would have fired.
    const started = eventsOf(history, "EventWaitStarted")[0];
    const received = eventsOf(history, "EventReceived")[0];
    expect(received?.at).toBeLessThan(started?.timeoutAt as number);
  });

  it("delivers an event to a wait while a step of the same execution is still running", async () => {
    const { engine } = newEngine();
    const gate = deferred();
    const racing = workflow("racing", async (ctx, _input: null) => {
      const [signal, work] = await Promise.all([
        ctx.waitForEvent<string>("abort", { timeout: "1m" }),
        ctx.step("work", async () => {
          await gate.promise;
          return "worked";
        }),
      ]);
      return { signal, work };
    });
    await startWorker(engine, { workflows: [racing] });
    const run = await engine.client.start(racing, null);
    await waitUntil(async () => (await run.history()).some((e) => e.type === "StepScheduled"), "work starts");
    await run.sendEvent("abort", "now");
    await waitUntil(
      async () => (await run.history()).some((e) => e.type === "EventReceived"),
      "the event is received while the step runs",
    );
    gate.resolve();
    expect(await run.result({ timeout: 5_000 })).toEqual({ signal: "now", work: "worked" });
    const types = (await run.history()).map((e) => e.type);
    expect(types.indexOf("EventReceived")).toBeLessThan(types.indexOf("StepSucceeded"));
  });

  it("rejects a wait that times out with TimeoutError and journals EventWaitTimedOut", async () => {
    const { engine } = newEngine();
    const impatient = workflow("impatient", async (ctx, _input: null) => {
      try {
        await ctx.waitForEvent("approval", { timeout: 50 });
        return "approved";
      } catch (error) {
        return TimeoutError.is(error) ? `timeout: ${(error as Error).message}` : "wrong error";
      }
    });
    await startWorker(engine, { workflows: [impatient] });
    const run = await engine.client.start(impatient, null);
    expect(await run.result({ timeout: 5_000 })).toBe(
      'timeout: waitForEvent("approval") timed out: no such event arrived in time.',
    );
    const history = await run.history();
    const started = eventsOf(history, "EventWaitStarted");
    expect(started).toHaveLength(1);
    expect(started[0]?.timeoutAt).toBe((history[0]?.at as number) + 50);
    expect(eventsOf(history, "EventWaitTimedOut")).toEqual([expect.objectContaining({ op: 0 })]);
    expect(eventsOf(history, "EventReceived")).toEqual([]);
  });
});

describe("step retries", () => {
  it("retries a failing step by its policy and journals every attempt", async () => {
    const { engine } = newEngine();
    let calls = 0;
    const flaky = workflow("flaky", async (ctx, _input: null) =>
      ctx.step(
        "call-api",
        ({ attempt }) => {
          calls++;
          if (attempt < 3) throw new Error(`503 on attempt ${attempt}`);
          return `ok on attempt ${attempt}`;
        },
        { retry: { maxAttempts: 3, initialInterval: 10 } },
      ),
    );
    await startWorker(engine, { workflows: [flaky] });
    const run = await engine.client.start(flaky, null);
    expect(await run.result({ timeout: 5_000 })).toBe("ok on attempt 3");
    expect(calls).toBe(3);

    const history = await run.history();
    expect(eventsOf(history, "StepScheduled").map((e) => [e.op, e.name, e.attempt])).toEqual([
      [0, "call-api", 1],
      [0, "call-api", 2],
      [0, "call-api", 3],
    ]);
    const failed = eventsOf(history, "StepFailed");
    expect(failed.map((e) => [e.attempt, e.error.message])).toEqual([
      [1, "503 on attempt 1"],
      [2, "503 on attempt 2"],
    ]);
    // Backoff: 10 ms after the first failure, 20 ms after the second. The failure happened
    // between the attempt's StepScheduled and its StepFailed, so retryAt - delay lies there.
    const scheduled = eventsOf(history, "StepScheduled");
    for (const [i, delay] of [10, 20].entries()) {
      const retryAt = failed[i]?.retryAt as number;
      expect(retryAt - delay).toBeGreaterThanOrEqual(scheduled[i]?.at as number);
      expect(retryAt - delay).toBeLessThanOrEqual(failed[i]?.at as number);
      expect(scheduled[i + 1]?.at).toBeGreaterThanOrEqual(retryAt);
    }
    expect(eventsOf(history, "StepSucceeded")).toEqual([
      expect.objectContaining({ op: 0, attempt: 3, result: "ok on attempt 3" }),
    ]);
  });

  /** Runs `body` as a step and returns what the workflow saw: the StepFailedError's fields. */
  async function failingStep(
    body: (info: StepInfo) => unknown,
    retry?: Parameters<WorkflowContext["step"]>[2],
  ) {
    const { engine } = newEngine();
    const failing = workflow("failing", async (ctx, _input: null) => {
      try {
        await ctx.step("charge", body, retry);
        return { caught: false };
      } catch (error) {
        const cause = (error as Error).cause as Error;
        return {
          caught: true,
          isStepFailed: StepFailedError.is(error),
          message: (error as Error).message,
          step: (error as StepFailedError).step,
          attempts: (error as StepFailedError).attempts,
          causeName: cause.name,
          causeMessage: cause.message,
          causeIsTerminal: TerminalError.is(cause),
          causeIsTimeout: TimeoutError.is(cause),
          causeIsSerialization: SerializationError.is(cause),
          causeIsTooLarge: PayloadTooLargeError.is(cause),
        };
      }
    });
    await startWorker(engine, { workflows: [failing] });
    const run = await engine.client.start(failing, null);
    const seen = (await run.result({ timeout: 5_000 })) as Record<string, unknown>;
    return { seen, history: await run.history() };
  }

  it("does not retry a TerminalError: StepFailedError after 1 attempt, cause a TerminalError", async () => {
    let calls = 0;
    const { seen, history } = await failingStep(
      () => {
        calls++;
        throw new TerminalError("card declined: stolen card");
      },
      { retry: { maxAttempts: 5, initialInterval: 10 } },
    );
    expect(calls).toBe(1);
    expect(seen).toMatchObject({
      caught: true,
      isStepFailed: true,
      step: "charge",
      attempts: 1,
      causeName: "TerminalError",
      causeMessage: "card declined: stolen card",
      causeIsTerminal: true,
      message: 'Step "charge" failed after 1 attempt: TerminalError: card declined: stolen card',
    });
    const failed = eventsOf(history, "StepFailed");
    expect(failed).toHaveLength(1);
    expect(failed[0]?.retryAt).toBeUndefined();
  });

  it("does not retry an error named in nonRetryable", async () => {
    class ValidationError extends Error {
      override name = "ValidationError";
    }
    let calls = 0;
    const { seen } = await failingStep(
      () => {
        calls++;
        throw new ValidationError("email is missing");
      },
      { retry: { maxAttempts: 5, initialInterval: 10, nonRetryable: ["ValidationError"] } },
    );
    expect(calls).toBe(1);
    expect(seen).toMatchObject({
      isStepFailed: true,
      attempts: 1,
      causeName: "ValidationError",
      causeMessage: "email is missing",
    });
  });

  it("fails with StepFailedError after maxAttempts attempts", async () => {
    let calls = 0;
    const { seen, history } = await failingStep(
      () => {
        calls++;
        throw new Error(`down (${calls})`);
      },
      { retry: { maxAttempts: 4, initialInterval: 5, backoffRate: 1 } },
    );
    expect(calls).toBe(4);
    expect(seen).toMatchObject({
      isStepFailed: true,
      attempts: 4,
      causeName: "Error",
      causeMessage: "down (4)",
      message: 'Step "charge" failed after 4 attempts: Error: down (4)',
    });
    const failed = eventsOf(history, "StepFailed");
    expect(failed.map((e) => [e.attempt, e.retryAt !== undefined])).toEqual([
      [1, true],
      [2, true],
      [3, true],
      [4, false],
    ]);
  });

  it("fails a step whose attempt exceeds its timeout with cause TimeoutError", async () => {
    const started = Date.now();
    const { seen } = await failingStep(
      () => new Promise((resolve) => setTimeout(() => resolve("late"), 200)),
      { timeout: 20, retry: { maxAttempts: 1 } },
    );
    expect(Date.now() - started).toBeLessThan(190);
    expect(seen).toMatchObject({
      isStepFailed: true,
      attempts: 1,
      causeIsTimeout: true,
      causeName: "TimeoutError",
      causeMessage: 'Attempt 1 of step "charge" timed out after 20 ms.',
    });
  });

  it("aborts the step's signal when its attempt times out", async () => {
    const reasons: unknown[] = [];
    const { seen } = await failingStep(
      ({ signal }: StepInfo) =>
        new Promise((resolve) => {
          signal.addEventListener("abort", () => {
            reasons.push(signal.reason);
            resolve("stopped");
          });
        }),
      { timeout: 20, retry: { maxAttempts: 1 } },
    );
    expect(seen).toMatchObject({ isStepFailed: true, causeIsTimeout: true });
    expect(reasons).toHaveLength(1);
    expect(TimeoutError.is(reasons[0])).toBe(true);
  });

  it("fails a step for good when its result is not plain data: cause SerializationError, no StepSucceeded", async () => {
    let calls = 0;
    const { seen, history } = await failingStep(
      () => {
        calls++;
        return { id: 7, format: () => "seven" };
      },
      { retry: { maxAttempts: 3, initialInterval: 10 } },
    );
    expect(calls).toBe(1);
    expect(seen).toMatchObject({ isStepFailed: true, attempts: 1, causeIsSerialization: true });
    expect(seen.causeMessage).toContain('The result of step "charge"');
    expect(seen.causeMessage).toContain("$.format");
    expect(eventsOf(history, "StepSucceeded")).toEqual([]);
    const failed = eventsOf(history, "StepFailed");
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ op: 0, attempt: 1, error: { name: "SerializationError" } });
    expect(failed[0]?.retryAt).toBeUndefined();
  });

  it("fails a step for good when its result is larger than maxEventBytes: cause PayloadTooLargeError", async () => {
    const { engine } = newEngine({ maxEventBytes: 4096 });
    let calls = 0;
    const big = workflow("big", async (ctx, _input: null) => {
      try {
        await ctx.step("export", () => {
          calls++;
          return "x".repeat(10_000);
        });
        return "no error";
      } catch (error) {
        const cause = (error as Error).cause;
        return {
          isStepFailed: StepFailedError.is(error),
          causeIsTooLarge: PayloadTooLargeError.is(cause),
          limit: (cause as PayloadTooLargeError).limit,
          message: (cause as Error).message,
        };
      }
    });
    await startWorker(engine, { workflows: [big] });
    const run = await engine.client.start(big, null);
    const seen = (await run.result({ timeout: 5_000 })) as Record<string, unknown>;
    expect(calls).toBe(1);
    expect(seen).toMatchObject({ isStepFailed: true, causeIsTooLarge: true, limit: 4096 });
    expect(seen.message).toContain("StepSucceeded event (op 0)");
    const history = await run.history();
    expect(eventsOf(history, "StepSucceeded")).toEqual([]);
    const failed = eventsOf(history, "StepFailed");
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ op: 0, attempt: 1 });
    expect(failed[0]?.retryAt).toBeUndefined();
  });

  it("journals a step error too large for maxEventBytes as PayloadTooLargeError keeping the start of its message", async () => {
    const { engine, logs } = newEngine({ maxEventBytes: 4096 });
    let calls = 0;
    const noisy = workflow("noisy", async (ctx, _input: null) => {
      try {
        await ctx.step(
          "dump",
          () => {
            calls++;
            throw new RangeError(`bad row ${calls}: ${"x".repeat(10_000)}`);
          },
          { retry: { maxAttempts: 2, initialInterval: 5 } },
        );
        return "no error";
      } catch (error) {
        const cause = (error as Error).cause as Error;
        return {
          attempts: (error as StepFailedError).attempts,
          causeIsTooLarge: PayloadTooLargeError.is(cause),
          original: { name: (cause.cause as Error).name, start: (cause.cause as Error).message.slice(0, 11) },
        };
      }
    });
    await startWorker(engine, { workflows: [noisy] });
    const run = await engine.client.start(noisy, null);
    expect(await run.result({ timeout: 5_000 })).toEqual({
      attempts: 2,
      causeIsTooLarge: true,
      original: { name: "RangeError", start: "bad row 2: " },
    });
    expect(calls).toBe(2);
    const failed = eventsOf(await run.history(), "StepFailed");
    expect(failed.map((e) => [e.attempt, e.retryAt !== undefined])).toEqual([
      [1, true],
      [2, false],
    ]);
    expect(logs.filter((l) => l.level === "error")).toEqual([]);
  });

  it("fails the execution when the workflow output is larger than maxEventBytes", async () => {
    const { engine } = newEngine({ maxEventBytes: 4096 });
    const bigOutput = workflow("bigOutput", async (_ctx, _input: null) => "y".repeat(10_000));
    await startWorker(engine, { workflows: [bigOutput] });
    const run = await engine.client.start(bigOutput, null);
    const error = await rejection(run.result({ timeout: 5_000 }));
    expect(PayloadTooLargeError.is(error)).toBe(true);
    expect((await run.describe()).status).toBe("failed");
    expect(eventsOf(await run.history(), "ExecutionSucceeded")).toEqual([]);
  });

  it("fails the execution with PayloadTooLargeError when the workflow throws an error too large to journal", async () => {
    const { engine, logs } = newEngine({ maxEventBytes: 4096 });
    const loud = workflow("loud", async (_ctx, _input: null) => {
      throw new TypeError(`cannot parse: ${"z".repeat(10_000)}`);
    });
    await startWorker(engine, { workflows: [loud] });
    const run = await engine.client.start(loud, null);
    const error = await rejection(run.result({ timeout: 5_000 }));
    expect(PayloadTooLargeError.is(error)).toBe(true);
    expect((error.cause as Error).name).toBe("TypeError");
    expect((error.cause as Error).message.startsWith("cannot parse: zzz")).toBe(true);
    expect((await run.describe()).status).toBe("failed");
    expect(logs.filter((l) => l.level === "error")).toEqual([]);
  });
});

describe("durability", () => {
  it("keeps a timer across a worker restart and fires it once", async () => {
    const store = memoryStore();
    let before = 0;
    let after = 0;
    const napper = workflow("napper", async (ctx, _input: null) => {
      const value = await ctx.step("before", () => {
        before++;
        return "prepared";
      });
      await ctx.sleep("nap", 1_500);
      await ctx.step("after", () => {
        after++;
      });
      return value;
    });

    const a = newEngine({ store });
    const workerA = await startWorker(a.engine, { workflows: [napper], leaseMs: 300 });
    const run = await a.engine.client.start(napper, null);
    await waitUntil(async () => (await run.describe()).status === "sleeping", "the execution sleeps");
    const record = await store.executions.get(run.id);
    expect(record?.leaseOwner).toBeNull();
    await workerA.stop();

    const b = newEngine({ store });
    await startWorker(b.engine, { workflows: [napper], leaseMs: 300 });
    expect(await b.engine.client.result(run.id, { timeout: 5_000 })).toBe("prepared");

    const history = await b.engine.client.history(run.id);
    const started = eventsOf(history, "TimerStarted");
    const fired = eventsOf(history, "TimerFired");
    expect(started).toHaveLength(1);
    expect(fired).toHaveLength(1);
    expect(fired[0]?.at).toBeGreaterThanOrEqual(started[0]?.fireAt as number);
    expect(before).toBe(1);
    expect(after).toBe(1);
  });

  it("fences a worker that lost its lease: the new owner's result is the only one journaled", async () => {
    const store = memoryStore();
    // Worker A's renewals silently do nothing, as if A were paused: its lease runs out.
    const deafStore: Store = {
      ...store,
      queue: { ...store.queue, renew: async () => ({ lost: [], cancelRequested: [] }) },
    };
    const releaseA = deferred();
    let calls = 0;
    const contested = workflow("contested", async (ctx, _input: null) => {
      const value = await ctx.step("reserve", async () => {
        calls++;
        if (calls === 1) {
          await releaseA.promise;
          return "from A";
        }
        return "from B";
      });
      return value;
    });

    const a = newEngine({ store: deafStore });
    const workerA = await startWorker(a.engine, { workflows: [contested], leaseMs: 300, concurrency: 1 });
    const run = await a.engine.client.start(contested, null, { id: "contested-1" });
    await waitUntil(() => calls === 1, "worker A runs the step");
    const tokenA = (await store.executions.get(run.id))?.token as number;
    expect((await store.executions.get(run.id))?.leaseOwner).toBe(workerA.id);

    await sleep(350);
    const b = newEngine({ store });
    const workerB = await startWorker(b.engine, { workflows: [contested], leaseMs: 300 });
    expect(await b.engine.client.result(run.id, { timeout: 5_000 })).toBe("from B");
    const record = await store.executions.get(run.id);
    expect(record?.token).toBeGreaterThan(tokenA);
    expect(calls).toBe(2);

    const before = await b.engine.client.history(run.id);
    releaseA.resolve();
    await waitUntil(() => workerA.active === 0, "worker A drops the execution");

    const history = await b.engine.client.history(run.id);
    expect(history).toEqual(before);
    expect(eventsOf(history, "StepSucceeded")).toEqual([
      expect.objectContaining({ op: 0, result: "from B" }),
    ]);
    expect(eventsOf(history, "StepScheduled").map((e) => e.attempt)).toEqual([1, 2]);
    expect(eventsOf(history, "ExecutionSucceeded")).toEqual([expect.objectContaining({ output: "from B" })]);
    expect((await store.executions.get(run.id))?.status).toBe("succeeded");
    await workerA.stop();
    await workerB.stop();
  });

  it("stops gracefully: the running step is journaled, the execution handed back, and finished elsewhere", async () => {
    const store = memoryStore();
    let slowCalls = 0;
    let nextCalls = 0;
    const twoSteps = workflow("twoSteps", async (ctx, _input: null) => {
      const slow = await ctx.step("slow", async () => {
        slowCalls++;
        await sleep(300);
        return "slow done";
      });
      const next = await ctx.step("next", () => {
        nextCalls++;
        return "next done";
      });
      return [slow, next];
    });
    const a = newEngine({ store });
    const workerA = await startWorker(a.engine, { workflows: [twoSteps], leaseMs: 300 });
    const run = await a.engine.client.start(twoSteps, null);
    await waitUntil(() => slowCalls === 1, "the slow step runs");

    const stopping = Date.now();
    await workerA.stop();
    expect(Date.now() - stopping).toBeGreaterThanOrEqual(200);
    expect(workerA.active).toBe(0);

    const history = await run.history();
    expect(eventsOf(history, "StepSucceeded")).toEqual([
      expect.objectContaining({ op: 0, result: "slow done" }),
    ]);
    // The next step was not started by the stopping worker.
    expect(eventsOf(history, "StepScheduled").map((e) => e.name)).toEqual(["slow"]);
    expect(nextCalls).toBe(0);
    const record = await store.executions.get(run.id);
    expect(record?.status).toBe("running");
    expect(record?.leaseOwner).toBeNull();
    expect(record?.dueAt).toBeLessThanOrEqual(Date.now());

    const b = newEngine({ store });
    await startWorker(b.engine, { workflows: [twoSteps], leaseMs: 300 });
    expect(await b.engine.client.result(run.id, { timeout: 5_000 })).toEqual(["slow done", "next done"]);
    expect(slowCalls).toBe(1);
    expect(nextCalls).toBe(1);
  });

  it("parks an execution with an unreadable journal entry as blocked and keeps running others", async () => {
    const { engine, store, logs } = newEngine();
    const simple = workflow("simple", async (ctx, n: number) => ctx.step("inc", () => n + 1));
    const run = await engine.client.start(simple, 1, { id: "corrupt-1" });

    const now = Date.now();
    const [claim] = await store.queue.claim({
      owner: "vandal",
      workflows: ["simple"],
      limit: 1,
      now,
      leaseMs: 1_000,
    });
    if (!claim) throw new Error("expected to claim the execution");
    await store.journal.append(
      claim.lease,
      { expectedSeq: 1, events: [new Uint8Array([0xc1, 0xff, 0x00, 0x13])] },
      now,
    );
    await store.queue.release(claim.lease, { status: "running", dueAt: now }, now);

    const worker = await startWorker(engine, { workflows: [simple] });
    await waitUntil(async () => (await run.describe()).status === "blocked", "the execution is blocked");
    const description = await run.describe();
    expect(description.blockedReason).toContain("unreadable");
    expect(description.blockedReason).toContain("Journal entry 1");
    expect(description.blockedReason).toContain('"corrupt-1"');
    expect(logs.some((l) => l.level === "warn" && l.fields.executionId === "corrupt-1")).toBe(true);

    const healthy = await engine.client.start(simple, 41);
    expect(await healthy.result({ timeout: 5_000 })).toBe(42);
    expect(worker.active).toBe(0);
    expect((await run.describe()).status).toBe("blocked");
    expect(await store.journal.read(run.id)).toHaveLength(2);
  });
});

describe("cancellation", () => {
  it("cancels while a step runs: the step's signal is aborted, its late result discarded, no later step starts", async () => {
    const { engine } = newEngine();
    let nextCalls = 0;
    let abortedWith: unknown;
    const job = workflow("job", async (ctx, _input: null) => {
      await ctx.step(
        "long",
        ({ signal }) =>
          new Promise((resolve) => {
            signal.addEventListener("abort", () => {
              abortedWith = signal.reason;
              resolve("stopped");
            });
          }),
        { retry: { maxAttempts: 1 } },
      );
      await ctx.step("next", () => {
        nextCalls++;
      });
      return "finished";
    });
    await startWorker(engine, { workflows: [job] });
    const run = await engine.client.start(job, null);
    await waitUntil(async () => (await run.describe()).currentStep === "long", "the step runs");
    await run.cancel("operator stop");

    // The step never finishes on its own: the worker of this engine is told at once,
    // journals CancelRequested, the step's await rejects with CancelledError (the
    // workflow does not catch it) and the body's signal aborts; what it returns then
    // is discarded (docs/cancellation.md).
    const error = await rejection(run.result({ timeout: 5_000 }));
    expect(error.name).toBe("CancelledError");
    expect(error.message).toContain("operator stop");
    await waitUntil(() => abortedWith !== undefined, "the step's signal is aborted");
    const history = await run.history();
    expect(eventsOf(history, "StepSucceeded")).toEqual([]);
    expect(eventsOf(history, "StepScheduled").map((e) => e.name)).toEqual(["long"]);
    expect(history.at(-1)).toMatchObject({ type: "ExecutionCancelled", reason: "operator stop" });
    expect(history.map((e) => e.type)).toEqual([
      "ExecutionStarted",
      "StepScheduled",
      "CancelRequested",
      "ExecutionCancelled",
    ]);
    expect(CancelledError.is(abortedWith)).toBe(true);
    expect((await run.describe()).status).toBe("cancelled");
    expect(nextCalls).toBe(0);
  });
});

describe("non-determinism", () => {
  type Body = (ctx: WorkflowContext) => Promise<unknown>;
  const steps =
    (...names: string[]): Body =>
    async (ctx) => {
      for (const name of names) await ctx.step(name, () => `${name}!`);
      await ctx.waitForEvent("go");
      await ctx.step("z", () => "z!");
      return "done";
    };

  /** Runs v1 until it waits, swaps in v2 (same name, new engine, same store), sends the event. */
  async function runChanged(v1: Body, v2: Body) {
    const store = memoryStore();
    const a = newEngine({ store });
    const workerA = await startWorker(a.engine, {
      workflows: [workflow("evolving", async (ctx, _input: null) => v1(ctx))],
    });
    const run = await a.engine.client.start("evolving", null, { id: "evolving-1" });
    await waitUntil(async () => (await run.describe()).status === "waiting", "v1 waits");
    await workerA.stop();
    const journalBefore = await store.journal.read(run.id);

    const b = newEngine({ store });
    const workerB = await startWorker(b.engine, {
      workflows: [workflow("evolving", async (ctx, _input: null) => v2(ctx))],
    });
    await b.engine.client.sendEvent(run.id, "go", true);
    await waitUntil(async () => (await statusOf(b.engine, run.id)) === "blocked", "v2 is blocked");
    const description = await b.engine.client.describe(run.id);
    return { store, engine: b.engine, run, description, journalBefore, logs: b.logs, workerB };
  }

  it("resumes a blocked execution once code that matches its journal is deployed again", async () => {
    const { store, run, workerB } = await runChanged(steps("a"), steps("x"));
    await workerB.stop();
    const c = newEngine({ store });
    await startWorker(c.engine, {
      workflows: [workflow("evolving", async (ctx, _input: null) => steps("a")(ctx))],
    });
    expect(await c.engine.client.resume(run.id)).toBe(true);
    expect(await c.engine.client.result(run.id, { timeout: 5_000 })).toBe("done");
    const history = await c.engine.client.history(run.id);
    expect(
      history.filter((e) => e.type === "StepScheduled").map((e) => (e as { name: string }).name),
    ).toEqual(["a", "z"]);
    expect(await c.engine.client.resume(run.id)).toBe(false);
  });

  it("blocks an execution whose code asks for another step at a recorded op, without a hot loop", async () => {
    const { store, run, description, journalBefore, logs } = await runChanged(steps("a"), steps("x"));
    expect(description.blockedReason).toContain("evolving-1");
    expect(description.blockedReason).toContain("op 0");
    expect(description.blockedReason).toContain('step "a"');
    expect(description.blockedReason).toContain('step "x"');
    expect(description.blockedReason).toContain("docs/determinism.md");
    expect(await store.journal.read(run.id)).toEqual(journalBefore);
    expect(logs.filter((l) => l.message === "execution blocked")).toHaveLength(1);

    const token = (await store.executions.get(run.id))?.token as number;
    await sleep(500);
    const later = await store.executions.get(run.id);
    expect((later?.token as number) - token).toBeLessThanOrEqual(1);
    expect(later?.status).toBe("blocked");
    expect(await store.journal.read(run.id)).toEqual(journalBefore);
  });

  it.each([
    ["a reordered step", steps("a", "c", "b"), 1, 'step "b"', 'step "c"'],
    ["an inserted step", steps("a", "b", "new", "c"), 2, 'step "c"', 'step "new"'],
    ["a removed step", steps("a", "c"), 1, 'step "b"', 'step "c"'],
    ["a removed last step", steps("a", "b"), 2, 'step "c"', 'waitForEvent "go"'],
    [
      "code that returns early",
      async (ctx: WorkflowContext) => {
        await ctx.step("a", () => "a!");
        return "early";
      },
      1,
      'step "b"',
      "nothing",
    ],
  ])("blocks on %s at the right op", async (_what, v2, op, recorded, requested) => {
    const { store, run, description, journalBefore } = await runChanged(steps("a", "b", "c"), v2 as Body);
    expect(description.blockedReason).toContain(`at op ${op}:`);
    expect(description.blockedReason).toContain(`the journal has ${recorded}`);
    expect(description.blockedReason).toContain(`the code asked for ${requested}`);
    expect(await store.journal.read(run.id)).toEqual(journalBefore);
  });
});

describe("concurrency inside a workflow", () => {
  it("gives the same Promise.all and Promise.race results on replay without running steps again", async () => {
    const { engine } = newEngine();
    const calls: Record<string, number> = {};
    const count = (name: string) => {
      calls[name] = (calls[name] ?? 0) + 1;
    };
    const observed: string[] = [];
    const parallel = workflow("parallel", async (ctx, _input: null) => {
      const all = await Promise.all([
        ctx.step("left", async () => {
          count("left");
          await sleep(30);
          return "L";
        }),
        ctx.step("right", () => {
          count("right");
          return "R";
        }),
        ctx.sleep("pause", 20).then(() => "slept"),
      ]);
      const stepWins = await Promise.race([
        ctx.step("fast", () => {
          count("fast");
          return "fast";
        }),
        ctx.sleep("fast-deadline", 400).then(() => "deadline"),
      ]);
      const timerWins = await Promise.race([
        ctx.step("slow", async () => {
          count("slow");
          await sleep(200);
          return "slow";
        }),
        ctx.sleep("slow-deadline", 20).then(() => "deadline"),
      ]);
      observed.push(JSON.stringify({ all, stepWins, timerWins, now: ctx.now() }));
      const go = await ctx.waitForEvent<string>("go");
      return { all, stepWins, timerWins, go };
    });
    await startWorker(engine, { workflows: [parallel] });
    const run = await engine.client.start(parallel, null);
    await waitUntil(async () => (await run.describe()).status === "waiting", "the workflow waits");
    expect(observed).toHaveLength(1);

    await run.sendEvent("go", "went");
    expect(await run.result({ timeout: 5_000 })).toEqual({
      all: ["L", "R", "slept"],
      stepWins: "fast",
      timerWins: "deadline",
      go: "went",
    });
    // The replay saw exactly what the live run saw.
    expect(observed).toHaveLength(2);
    expect(observed[1]).toBe(observed[0]);
    expect(calls).toEqual({ left: 1, right: 1, fast: 1, slow: 1 });
    const history = await run.history();
    expect(eventsOf(history, "StepSucceeded")).toHaveLength(4);
    expect(eventsOf(history, "TimerFired")).toHaveLength(3);
  });

  it("returns the same ctx.now(), ctx.random() and ctx.ulid() on replay", async () => {
    const { engine } = newEngine();
    const runs: unknown[] = [];
    const deterministic = workflow("deterministic", async (ctx, _input: null) => {
      const values = {
        now: ctx.now(),
        random: [ctx.random(), ctx.random()],
        ulid: [ctx.ulid(), ctx.ulid()],
        bytes: new Uint8Array([1, 2, 3]),
      };
      const saved = await ctx.step("save", () => values);
      const afterStep = { now: ctx.now(), random: ctx.random(), ulid: ctx.ulid() };
      const savedAfter = await ctx.step("save-after", () => afterStep);
      runs.push(values);
      await ctx.waitForEvent("go");
      return { values, saved, afterStep, savedAfter };
    });
    const before = Date.now();
    await startWorker(engine, { workflows: [deterministic] });
    const run = await engine.client.start(deterministic, null);
    await waitUntil(async () => (await run.describe()).status === "waiting", "the workflow waits");
    await run.sendEvent("go", null);
    const result = (await run.result({ timeout: 5_000 })) as Record<string, Record<string, unknown>>;

    expect(runs).toHaveLength(2);
    expect(result.values).toEqual(result.saved);
    expect(result.afterStep).toEqual(result.savedAfter);
    expect(result.saved?.bytes).toBeInstanceOf(Uint8Array);
    const values = result.values as { now: number; random: number[]; ulid: string[] };
    expect(values.now).toBeGreaterThanOrEqual(before);
    expect(values.now).toBeLessThanOrEqual(Date.now());
    for (const r of values.random) {
      expect(r).toBeGreaterThanOrEqual(0);
      expect(r).toBeLessThan(1);
    }
    expect(values.random[0]).not.toBe(values.random[1]);
    expect(values.ulid[0]).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(values.ulid[0]).not.toBe(values.ulid[1]);
    // ctx.now() moves on with the journal: after the step it is the step's completion time.
    const history = await run.history();
    const saveDone = eventsOf(history, "StepSucceeded")[0];
    expect(result.afterStep?.now).toBe(saveDone?.at);
  });
});

describe("durability", () => {
  it("does not let the workflow move past a step until the step's result is durable", async () => {
    const store = memoryStore();
    // Appends that hold a StepSucceeded wait for this gate before they reach the store.
    const gate = deferred();
    let heldAppends = 0;
    const slowStore: Store = {
      ...store,
      journal: {
        ...store.journal,
        append: async (lease, request, now) => {
          const decoded = request.events.map((bytes) => new TextDecoder().decode(bytes));
          if (decoded.some((text) => text.includes("StepSucceeded"))) {
            heldAppends++;
            await gate.promise;
          }
          return store.journal.append(lease, request, now);
        },
      },
    };
    const { engine } = newEngine({ store: slowStore });
    const seen: string[] = [];
    const twoSteps = workflow("two-steps", async (ctx, _input: null) => {
      const first = await ctx.step("first", () => "one");
      seen.push(`after first: ${first}`);
      return ctx.step("second", () => "two");
    });
    await startWorker(engine, { workflows: [twoSteps] });
    const run = await engine.client.start(twoSteps, null);

    await waitUntil(() => heldAppends === 1, "the first result is being appended");
    await sleep(100);
    expect(seen).toEqual([]);
    expect(eventsOf(await store.journal.read(run.id).then(decodeAll), "StepSucceeded")).toEqual([]);

    gate.resolve();
    expect(await run.result({ timeout: 5_000 })).toBe("two");
    expect(seen).toEqual(["after first: one"]);
  });
});

function decodeAll(entries: Uint8Array[]): JournalEvent[] {
  return entries.map((bytes, seq) => new Codec().decodeEvent(bytes, "any", seq));
}

describe("workflow code that awaits something outside Stepline", () => {
  it("parks the execution as blocked with a reason instead of hanging silently", async () => {
    const { engine } = newEngine();
    const outside = workflow("outside", async (ctx, _input: null) => {
      await ctx.step("first", () => 1);
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      return "never journaled";
    });
    await startWorker(engine, { workflows: [outside] });
    const run = await engine.client.start(outside, null);
    await waitUntil(async () => (await run.describe()).status === "blocked", "the execution is blocked");
    const description = await run.describe();
    expect(description.blockedReason).toContain("not a Stepline operation");
    expect(description.blockedReason).toContain("ctx.step");
    expect((await run.history()).map((e) => e.type)).toEqual([
      "ExecutionStarted",
      "StepScheduled",
      "StepSucceeded",
    ]);
  });
});
