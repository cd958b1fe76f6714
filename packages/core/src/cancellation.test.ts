import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ErrorRegistry } from "./error-serialization.js";
import { CancelledError, InvalidArgumentError } from "./errors.js";
import type { JournalEvent, NewEvent } from "./events.js";
import { ExecutionFinishedError } from "./execution-errors.js";
import { checkJournal } from "./journal-rules.js";
import { deferred, newEngine, rejection, startWorker, waitUntil } from "./testing/engine-kit.js";
import { type WorkflowContext, workflow } from "./workflow.js";
import { WorkflowRun } from "./workflow-run.js";

const T0 = 1_700_000_000_000;

function journal(...bodies: NewEvent[]): JournalEvent[] {
  const started: NewEvent = { type: "ExecutionStarted", workflow: "wf", version: 1, input: 5, seed: 42 };
  return [started, ...bodies].map((body, seq) => ({ ...body, seq, at: T0 + seq }) as JournalEvent);
}

function runOf(fn: (ctx: WorkflowContext, input: number) => Promise<unknown>, events: JournalEvent[]) {
  const definition = workflow("wf", fn);
  return new WorkflowRun({
    definition: definition as never,
    executionId: "exec-1",
    journal: events,
    errors: new ErrorRegistry(),
  });
}

const charge: NewEvent[] = [
  { type: "StepScheduled", op: 0, name: "charge", attempt: 1 },
  { type: "CancelRequested", reason: "customer asked" },
];

describe("CancelRequested in replay", () => {
  it("rejects the pending op with CancelledError, runs the catch block's step, ends cancelled with the reason", async () => {
    const seen: unknown[] = [];
    const body = async (ctx: WorkflowContext) => {
      try {
        await ctx.step("charge", () => "charged");
      } catch (error) {
        seen.push(error);
        await ctx.step("refund", () => "refunded");
        throw error;
      }
    };
    const run = runOf(body, journal(...charge));
    await run.replay();
    expect(seen).toHaveLength(1);
    const error = seen[0] as CancelledError;
    expect(CancelledError.is(error)).toBe(true);
    expect(error.reason).toBe("customer asked");
    expect(error.message).toBe(
      'Execution "exec-1" was cancelled (customer asked) while its step "charge" (op 0) was pending. Code in ' +
        "catch and finally runs on, and the operations it starts now are not cancelled: undo what is needed " +
        "there, then rethrow to end as cancelled.",
    );
    expect(run.takeNewEvents()).toEqual([{ type: "StepScheduled", op: 1, name: "refund", attempt: 1 }]);
    expect(run.takeRunnableSteps(T0 + 10).map((s) => s.name)).toEqual(["refund"]);
    await run.apply([{ type: "StepSucceeded", op: 1, attempt: 1, result: "refunded", seq: 4, at: T0 + 4 }]);
    expect(run.takeNewEvents()).toEqual([{ type: "ExecutionCancelled", reason: "customer asked" }]);
  });

  it("replays a full cancelled journal to the same end, and checkJournal accepts it", async () => {
    const body = async (ctx: WorkflowContext) => {
      try {
        await ctx.step("charge", () => "charged");
      } finally {
        await ctx.step("refund", () => "refunded");
      }
    };
    const events = journal(
      ...charge,
      { type: "StepScheduled", op: 1, name: "refund", attempt: 1 },
      { type: "StepSucceeded", op: 1, attempt: 1, result: "refunded" },
      { type: "ExecutionCancelled", reason: "customer asked" },
    );
    expect(checkJournal(events)).toEqual({ ok: true });
    for (let i = 0; i < 2; i++) {
      const run = runOf(body, events.slice(0, -1));
      await run.replay();
      expect(run.blocked).toBeUndefined();
      expect(run.takeNewEvents()).toEqual([{ type: "ExecutionCancelled", reason: "customer asked" }]);
      expect(run.takeRunnableSteps(T0 + 10)).toEqual([]);
    }
  });

  it("ends succeeded when the code catches the CancelledError and returns", async () => {
    const run = runOf(
      async (ctx) => {
        try {
          return await ctx.step("charge", () => "charged");
        } catch (error) {
          if (CancelledError.is(error)) return `stopped: ${error.reason}`;
          throw error;
        }
      },
      journal(...charge),
    );
    await run.replay();
    expect(run.takeNewEvents()).toEqual([{ type: "ExecutionSucceeded", output: "stopped: customer asked" }]);
  });

  it("ends failed when the code throws another error after the cancellation", async () => {
    const run = runOf(
      async (ctx) => {
        try {
          await ctx.step("charge", () => "charged");
        } catch {
          throw new Error("cleanup went wrong");
        }
      },
      journal(...charge),
    );
    await run.replay();
    const [end] = run.takeNewEvents();
    expect(end).toMatchObject({
      type: "ExecutionFailed",
      error: { name: "Error", message: "cleanup went wrong" },
    });
  });

  it("ends failed, not cancelled, for a CancelledError thrown without a cancellation", async () => {
    const run = runOf(async () => {
      throw new CancelledError("my own");
    }, journal());
    await run.replay();
    expect(run.takeNewEvents()).toMatchObject([
      { type: "ExecutionFailed", error: { name: "CancelledError" } },
    ]);
  });

  it("rejects every pending op at once (step, timer, wait, a race's loser) and none issued afterwards", async () => {
    const outcomes: string[] = [];
    const note = (name: string) => (error: unknown) => {
      outcomes.push(`${name}: ${CancelledError.is(error) ? "cancelled" : String(error)}`);
    };
    const run = runOf(
      async (ctx) => {
        await Promise.race([ctx.step("quote", () => 1), ctx.sleep("quote-timeout", "1h")]).catch(
          note("race"),
        );
        const both = Promise.all([
          ctx.waitForEvent("approval").catch(note("wait")),
          ctx.sleep("cool-off", "1d").catch(note("timer")),
        ]);
        await both;
        await ctx.sleep("after", "1m");
        outcomes.push("after ran");
        return outcomes;
      },
      journal(
        { type: "StepScheduled", op: 0, name: "quote", attempt: 1 },
        { type: "TimerStarted", op: 1, name: "quote-timeout", fireAt: T0 + 3_600_000 },
        { type: "StepSucceeded", op: 0, attempt: 1, result: 1 },
        { type: "EventWaitStarted", op: 2, name: "approval" },
        { type: "TimerStarted", op: 3, name: "cool-off", fireAt: T0 + 86_400_000 },
        { type: "CancelRequested" },
      ),
    );
    await run.replay();
    expect(outcomes).toEqual(["wait: cancelled", "timer: cancelled"]);
    expect(run.pendingTimers().map((t) => t.op)).toEqual([4]);
    expect(run.pendingWaits()).toEqual([]);
    const [after] = run.takeNewEvents();
    expect(after).toMatchObject({ type: "TimerStarted", op: 4, name: "after" });
    await run.apply([{ type: "TimerFired", op: 4, seq: 7, at: T0 + 60_007 }]);
    expect(run.takeNewEvents()).toEqual([
      { type: "ExecutionSucceeded", output: ["wait: cancelled", "timer: cancelled", "after ran"] },
    ]);
  });

  it("cancels a step waiting for its retry: no further attempt is planned", async () => {
    const outcome: unknown[] = [];
    const run = runOf(
      async (ctx) => ctx.step("flaky", () => 1).catch((error) => outcome.push(CancelledError.is(error))),
      journal(
        { type: "StepScheduled", op: 0, name: "flaky", attempt: 1 },
        {
          type: "StepFailed",
          op: 0,
          attempt: 1,
          error: { name: "Error", message: "down" },
          retryAt: T0 + 60_000,
        },
        { type: "CancelRequested" },
      ),
    );
    await run.replay();
    expect(outcome).toEqual([true]);
    expect(run.takeRunnableSteps(T0 + 120_000)).toEqual([]);
    expect(run.nextDueAt()).toBeNull();
    expect(run.takeNewEvents()).toEqual([{ type: "ExecutionSucceeded", output: 1 }]);
  });

  it("delivers only the first CancelRequested; checkJournal refuses a second and one after the end", () => {
    const twice = journal({ type: "CancelRequested" }, { type: "CancelRequested", reason: "again" });
    expect(checkJournal(twice)).toMatchObject({
      ok: false,
      seq: 2,
      type: "CancelRequested",
      problem:
        "requests cancellation again (event 1 did); expected at most one CancelRequested, the worker journals the first request only",
    });
    const late = journal({ type: "ExecutionSucceeded", output: 1 }, { type: "CancelRequested" });
    expect(checkJournal(late)).toMatchObject({ ok: false, seq: 2, type: "CancelRequested" });
    expect(checkJournal(journal({ type: "CancelRequested", reason: 3 } as never))).toMatchObject({
      ok: false,
      seq: 1,
      problem: 'has "reason" 3 (a number); expected a string',
    });
  });
});

const HOUR = 3_600_000;

describe("client.cancel through a worker", () => {
  it("aborts a running step's signal, runs the compensation from catch, ends cancelled with the reason", async () => {
    const { engine } = newEngine();
    let abortedWith: unknown;
    const refunds: string[] = [];
    const job = workflow("pay-and-ship", async (ctx, _input: null) => {
      const paid = await ctx.step("charge", () => "ch-1");
      try {
        await ctx.step(
          "ship",
          ({ signal }) =>
            new Promise((_resolve, reject) => {
              signal.addEventListener("abort", () => {
                abortedWith = signal.reason;
                reject(signal.reason);
              });
            }),
        );
      } catch (error) {
        await ctx.step("refund", () => {
          refunds.push(paid);
          return `refunded ${paid}`;
        });
        throw error;
      }
    });
    await startWorker(engine, { workflows: [job] });
    const run = await engine.client.start(job, null, { id: "pay-1" });
    await waitUntil(async () => (await run.describe()).currentStep === "ship", "the ship step runs");
    await run.cancel({ reason: "operator stop" });
    const error = await rejection(run.result({ timeout: 5_000 }));
    expect(CancelledError.is(error)).toBe(true);
    expect((error as CancelledError).reason).toBe("operator stop");
    expect(error.message).toBe('Execution "pay-1" was cancelled: operator stop.');
    expect(CancelledError.is(abortedWith)).toBe(true);
    expect((abortedWith as CancelledError).reason).toBe("operator stop");
    expect(refunds).toEqual(["ch-1"]);
    const history = await run.history();
    expect(history.map((e) => e.type)).toEqual([
      "ExecutionStarted",
      "StepScheduled",
      "StepSucceeded",
      "StepScheduled",
      "CancelRequested",
      "StepScheduled",
      "StepSucceeded",
      "ExecutionCancelled",
    ]);
    expect(
      history.filter((e) => e.type === "StepScheduled").map((e) => (e as { name: string }).name),
    ).toEqual(["charge", "ship", "refund"]);
    expect(history[4]).toMatchObject({ type: "CancelRequested", reason: "operator stop" });
    expect(history.at(-1)).toMatchObject({ type: "ExecutionCancelled", reason: "operator stop" });
    expect(checkJournal(history)).toEqual({ ok: true });
    expect(await run.describe()).toMatchObject({ status: "cancelled", cancelRequested: false });
  });

  it("discards the result of a step that ended but was not journaled when the cancel came: it counts as running", async () => {
    const { engine } = newEngine();
    const job = workflow("self-cancel", async (ctx, _input: null) => {
      try {
        return await ctx.step("cancel-myself", () => {
          // Not awaited: the body ends first, and the request reaches the runner before
          // its loop journals that end.
          void engine.client.cancel(ctx.executionId, { reason: "from inside" });
          return "done";
        });
      } catch (error) {
        await ctx.step("after", () => "after");
        return `caught: ${(error as CancelledError).reason}`;
      }
    });
    await startWorker(engine, { workflows: [job] });
    const run = await engine.client.start(job, null, { id: "self-1" });
    expect(await run.result({ timeout: 5_000 })).toBe("caught: from inside");
    const history = await run.history();
    expect(history.map((e) => e.type)).toEqual([
      "ExecutionStarted",
      "StepScheduled",
      "CancelRequested",
      "StepScheduled",
      "StepSucceeded",
      "ExecutionSucceeded",
    ]);
    expect(history[4]).toMatchObject({ op: 1, result: "after" });
  });

  it("journals one CancelRequested for two cancels, and a cancel of the finished execution is ExecutionFinishedError", async () => {
    const { engine } = newEngine();
    const gate = deferred();
    const job = workflow("twice", async (ctx, _input: null) => {
      try {
        await ctx.waitForEvent("never");
      } finally {
        await ctx.step("cleanup", () => gate.promise.then(() => "clean"));
      }
    });
    await startWorker(engine, { workflows: [job] });
    const run = await engine.client.start(job, null, { id: "twice-1" });
    await waitUntil(async () => (await run.describe()).status === "waiting", "it waits");
    await run.cancel({ reason: "first" });
    await waitUntil(async () => (await run.describe()).currentStep === "cleanup", "the cleanup runs");
    await run.cancel("second, deprecated string form");
    gate.resolve();
    const error = await rejection(run.result({ timeout: 5_000 }));
    expect((error as CancelledError).reason).toBe("first");
    const history = await run.history();
    expect(history.filter((e) => e.type === "CancelRequested")).toMatchObject([{ reason: "first" }]);
    expect(history.filter((e) => e.type === "StepSucceeded")).toMatchObject([{ result: "clean" }]);
    const late = await rejection(run.cancel({ reason: "too late" }));
    expect(ExecutionFinishedError.is(late)).toBe(true);
    expect(late.message).toBe(
      'Cannot cancel execution "twice-1": it has already cancelled. Events and cancellations only reach ' +
        "executions that are still running, sleeping, waiting or blocked; its result and journal stay " +
        "readable (client.result, client.history).",
    );
  });

  it("lets a compensation sleep after the cancellation: released sleeping, the request cleared, not woken at once", async () => {
    const { engine, store } = newEngine();
    const job = workflow("slow-undo", async (ctx, _input: null) => {
      try {
        await ctx.waitForEvent("never");
      } catch (error) {
        await ctx.sleep("let-it-settle", "1h");
        await ctx.step("undo", () => "undone");
        throw error;
      }
    });
    await startWorker(engine, { workflows: [job] });
    const run = await engine.client.start(job, null, { id: "slow-1" });
    await waitUntil(async () => (await run.describe()).status === "waiting", "it waits");
    await run.cancel({ reason: "stop" });
    await waitUntil(async () => (await run.describe()).status === "sleeping", "the compensation sleeps");
    const record = await store.executions.get(run.id);
    expect(record?.cancelRequested).toBeNull();
    expect(record?.leaseOwner).toBeNull();
    expect(record?.dueAt).toBeGreaterThan(Date.now() + HOUR - 60_000);
    const length = record?.journalLength;
    // A second cancel wakes it once; it is handed back sleeping again, nothing journaled.
    await run.cancel({ reason: "again" });
    await waitUntil(async () => {
      const again = await store.executions.get(run.id);
      return again?.status === "sleeping" && again.cancelRequested === null;
    }, "it sleeps again");
    expect((await store.executions.get(run.id))?.journalLength).toBe(length);
    const history = await run.history();
    expect(history.map((e) => e.type)).toEqual([
      "ExecutionStarted",
      "EventWaitStarted",
      "CancelRequested",
      "TimerStarted",
    ]);
  });

  it("cancels the children the workflow awaits and still runs its catch block", async () => {
    const { engine } = newEngine();
    const child = workflow("child-waits", async (ctx, _input: null) => ctx.waitForEvent("never"));
    const parent = workflow("parent-cancelled", async (ctx, _input: null) => {
      try {
        return await ctx.child(child, null);
      } catch (error) {
        await ctx.step("notify", () => "notified");
        throw error;
      }
    });
    await startWorker(engine, { workflows: [parent, child] });
    const run = await engine.client.start(parent, null, { id: "parent-1" });
    const childId = "parent-1/child-waits";
    await waitUntil(
      async () => (await engine.client.describe(childId).catch(() => null))?.status === "waiting",
      "the child waits",
    );
    await run.cancel({ reason: "tear down" });
    expect(CancelledError.is(await rejection(run.result({ timeout: 5_000 })))).toBe(true);
    const childError = await rejection(engine.client.result(childId, { timeout: 5_000 }));
    expect((childError as CancelledError).reason).toBe("tear down");
    const history = await run.history();
    expect(history.filter((e) => e.type === "StepSucceeded")).toMatchObject([{ result: "notified" }]);
    expect(history.some((e) => e.type === "ChildSucceeded" || e.type === "ChildFailed")).toBe(false);
  });
});

/** What client.cancel accepts: nothing, a reason string (deprecated), or { reason?: string }. */
function acceptedCancelArgument(value: unknown): boolean {
  if (value === undefined || typeof value === "string") return true;
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const reason = (value as { reason?: unknown }).reason;
  return reason === undefined || typeof reason === "string";
}

describe("client.cancel arguments (property)", () => {
  it("refuses every value but { reason?: string } or a string with InvalidArgumentError, and requests nothing", async () => {
    const { engine, store } = newEngine();
    const waiter = workflow("cancel-args", async (ctx, _input: null) => ctx.waitForEvent("never"));
    const run = await engine.client.start(waiter, null, { id: "args-1" });
    await fc.assert(
      fc.asyncProperty(
        fc
          .oneof(fc.anything(), fc.record({ reason: fc.anything() }))
          .filter((v) => !acceptedCancelArgument(v)),
        async (options) => {
          const error = await rejection(engine.client.cancel(run.id, options as never));
          expect(InvalidArgumentError.is(error), String(error)).toBe(true);
          expect(error.message).toMatch(/^client\.cancel\(id, (options|\{ reason \})\): /);
          expect((await store.executions.get(run.id))?.cancelRequested).toBeNull();
        },
      ),
      { numRuns: 200 },
    );
  });
});
