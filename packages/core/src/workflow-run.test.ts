import { describe, expect, it } from "vitest";
import { ErrorRegistry } from "./error-serialization.js";
import { NonDeterminismError, TerminalError } from "./errors.js";
import type { JournalEvent, NewEvent } from "./events.js";
import { StepFailedError } from "./operation-errors.js";
import { type WorkflowContext, workflow } from "./workflow.js";
import { WorkflowRun } from "./workflow-run.js";

const T0 = 1_700_000_000_000;

/** Builds a journal from event bodies: seq in order, `at` one ms apart. */
function journal(...bodies: NewEvent[]): JournalEvent[] {
  const started: NewEvent = { type: "ExecutionStarted", workflow: "wf", version: 1, input: 5, seed: 42 };
  return [started, ...bodies].map((body, seq) => ({ ...body, seq, at: T0 + seq }) as JournalEvent);
}

function runOf(
  fn: (ctx: WorkflowContext, input: number) => Promise<unknown>,
  events: JournalEvent[],
  errors = new ErrorRegistry(),
) {
  const definition = workflow("wf", fn);
  return new WorkflowRun({ definition: definition as never, executionId: "exec-1", journal: events, errors });
}

describe("WorkflowRun replay", () => {
  it("returns a recorded step result without running the step body again", async () => {
    let bodyCalls = 0;
    const run = runOf(
      async (ctx, input) => {
        const a = await ctx.step("a", () => {
          bodyCalls++;
          return -1;
        });
        return ctx.step("b", () => a + input);
      },
      journal(
        { type: "StepScheduled", op: 0, name: "a", attempt: 1 },
        { type: "StepSucceeded", op: 0, attempt: 1, result: 42 },
      ),
    );
    await run.replay();
    expect(bodyCalls).toBe(0);
    expect(run.blocked).toBeUndefined();
    expect(run.takeNewEvents()).toEqual([{ type: "StepScheduled", op: 1, name: "b", attempt: 1 }]);
    const [b] = run.takeRunnableSteps(T0 + 10);
    expect(b).toMatchObject({ op: 1, name: "b", attempt: 1, scheduled: true });
    expect(
      await b?.fn({
        ...{ attempt: 1, signal: new AbortController().signal, executionId: "exec-1", key: "k" },
        heartbeat: () => {},
      }),
    ).toBe(47);
  });

  it("rethrows a recorded step failure with the same error class and message", async () => {
    class PaymentDeclined extends Error {
      override name = "PaymentDeclined";
    }
    const errors = new ErrorRegistry([PaymentDeclined]);
    const seen: unknown[] = [];
    const run = runOf(
      async (ctx) => {
        for (const name of ["builtin", "custom", "terminal"]) {
          try {
            await ctx.step(name, () => 0);
          } catch (error) {
            seen.push(error);
          }
        }
        return "done";
      },
      journal(
        { type: "StepScheduled", op: 0, name: "builtin", attempt: 1 },
        { type: "StepFailed", op: 0, attempt: 1, error: errors.serialize(new TypeError("bad input")) },
        { type: "StepScheduled", op: 1, name: "custom", attempt: 1 },
        {
          type: "StepFailed",
          op: 1,
          attempt: 1,
          error: errors.serialize(new PaymentDeclined("card declined")),
        },
        { type: "StepScheduled", op: 2, name: "terminal", attempt: 1 },
        { type: "StepFailed", op: 2, attempt: 1, error: errors.serialize(new TerminalError("no way")) },
      ),
      errors,
    );
    await run.replay();
    expect(seen).toHaveLength(3);
    const [builtin, custom, terminal] = seen as [StepFailedError, StepFailedError, StepFailedError];
    expect(StepFailedError.is(builtin)).toBe(true);
    expect(builtin.message).toBe('Step "builtin" failed after 1 attempt: TypeError: bad input');
    expect(builtin.cause).toBeInstanceOf(TypeError);
    expect((builtin.cause as Error).message).toBe("bad input");
    expect(custom.cause).toBeInstanceOf(PaymentDeclined);
    expect((custom.cause as Error).name).toBe("PaymentDeclined");
    expect(TerminalError.is(terminal.cause)).toBe(true);
    expect(terminal.cause).toBeInstanceOf(TerminalError);
    expect(run.outcome).toEqual({ type: "succeeded", output: "done" });
  });

  describe("detects code that no longer matches the journal", () => {
    const recorded = journal(
      { type: "StepScheduled", op: 0, name: "reserve", attempt: 1 },
      { type: "StepSucceeded", op: 0, attempt: 1, result: 1 },
      { type: "StepScheduled", op: 1, name: "charge", attempt: 1 },
      { type: "StepSucceeded", op: 1, attempt: 1, result: 2 },
    );
    const cases: [string, (ctx: WorkflowContext) => Promise<unknown>, number, string, string][] = [
      [
        "a renamed step",
        async (ctx) => {
          await ctx.step("reserve", () => 1);
          await ctx.step("bill", () => 2);
        },
        1,
        'step "charge"',
        'step "bill"',
      ],
      [
        "reordered steps",
        async (ctx) => {
          await ctx.step("charge", () => 2);
          await ctx.step("reserve", () => 1);
        },
        0,
        'step "reserve"',
        'step "charge"',
      ],
      [
        "an inserted step",
        async (ctx) => {
          await ctx.step("validate", () => 0);
          await ctx.step("reserve", () => 1);
        },
        0,
        'step "reserve"',
        'step "validate"',
      ],
      [
        "a step replaced by a sleep",
        async (ctx) => {
          await ctx.step("reserve", () => 1);
          await ctx.sleep("charge", 10);
        },
        1,
        'step "charge"',
        'sleep "charge"',
      ],
      [
        "a removed step",
        async (ctx) => {
          await ctx.step("reserve", () => 1);
          return "early";
        },
        1,
        'step "charge"',
        "nothing (the workflow returned after op 0)",
      ],
    ];
    for (const [label, fn, op, recordedOp, requestedOp] of cases) {
      it(label, async () => {
        const run = runOf(fn, recorded);
        await run.replay();
        expect(NonDeterminismError.is(run.blocked)).toBe(true);
        expect(run.blocked).toMatchObject({
          executionId: "exec-1",
          op,
          recorded: recordedOp,
          requested: requestedOp,
        });
        expect(run.blocked?.message).toContain(`Execution exec-1 no longer matches its journal at op ${op}`);
        expect(run.takeNewEvents()).toEqual([]);
      });
    }
  });

  it("settles Promise.race with the operation that completed first in the journal", async () => {
    const run = runOf(
      async (ctx) => Promise.race([ctx.step("slow", () => "slow-live"), ctx.step("fast", () => "fast-live")]),
      journal(
        { type: "StepScheduled", op: 0, name: "slow", attempt: 1 },
        { type: "StepScheduled", op: 1, name: "fast", attempt: 1 },
        { type: "StepSucceeded", op: 1, attempt: 1, result: "fast" },
        { type: "StepSucceeded", op: 0, attempt: 1, result: "slow" },
      ),
    );
    await run.replay();
    expect(run.outcome).toEqual({ type: "succeeded", output: "fast" });
  });

  it("lets each completion's continuation run to the end before the next one (no false interleavings)", async () => {
    // Branch A sets a flag a few awaits after its step; branch B reads it after its own
    // step, which completed later. Resolving both at once would let B read it too early.
    const run = runOf(
      async (ctx) => {
        let flag = false;
        const a = (async () => {
          await ctx.step("a", () => 1);
          for (let i = 0; i < 20; i++) await Promise.resolve();
          flag = true;
        })();
        const b = (async () => {
          await ctx.step("b", () => 2);
          return flag;
        })();
        await a;
        return b;
      },
      journal(
        { type: "StepScheduled", op: 0, name: "a", attempt: 1 },
        { type: "StepScheduled", op: 1, name: "b", attempt: 1 },
        { type: "StepSucceeded", op: 0, attempt: 1, result: 1 },
        { type: "StepSucceeded", op: 1, attempt: 1, result: 2 },
      ),
    );
    await run.replay();
    expect(run.outcome).toEqual({ type: "succeeded", output: true });
  });

  it("gives ctx.now(), ctx.random() and ctx.ulid() the same values on every replay", async () => {
    const events = journal(
      { type: "StepScheduled", op: 0, name: "a", attempt: 1 },
      { type: "StepSucceeded", op: 0, attempt: 1, result: 1 },
    );
    const sample = async () => {
      const values: unknown[] = [];
      const run = runOf(async (ctx) => {
        values.push(ctx.now(), ctx.random(), ctx.ulid());
        await ctx.step("a", () => 1);
        values.push(ctx.now(), ctx.random(), ctx.ulid());
        return 0;
      }, events);
      await run.replay();
      return values;
    };
    const first = await sample();
    expect(await sample()).toEqual(first);
    expect(first[0]).toBe(T0); // ExecutionStarted.at
    expect(first[3]).toBe(T0 + 2); // StepSucceeded.at
    expect(first[1]).not.toBe(first[4]);
    expect(first[2]).not.toBe(first[5]);
  });

  it("plans the next attempt of a step whose attempt was interrupted or is waiting to retry", async () => {
    const run = runOf(
      async (ctx) => Promise.all([ctx.step("crashed", () => 1), ctx.step("retrying", () => 2)]),
      journal(
        { type: "StepScheduled", op: 0, name: "crashed", attempt: 1 },
        { type: "StepScheduled", op: 1, name: "retrying", attempt: 1 },
        {
          type: "StepFailed",
          op: 1,
          attempt: 1,
          error: { name: "Error", message: "flaky" },
          retryAt: T0 + 5_000,
        },
      ),
    );
    await run.replay();
    expect(run.takeNewEvents()).toEqual([]);
    expect(run.takeRunnableSteps(T0 + 100).map((s) => [s.op, s.attempt, s.scheduled])).toEqual([
      [0, 2, false],
    ]);
    expect(run.nextDueAt()).toBe(T0 + 5_000);
    expect(run.takeRunnableSteps(T0 + 5_000).map((s) => [s.op, s.attempt, s.notBefore])).toEqual([
      [1, 2, T0 + 5_000],
    ]);
  });

  it("proposes timers and waits once, with times from ctx.now()", async () => {
    const run = runOf(async (ctx) => {
      await Promise.all([
        ctx.sleep("nap", "1.5s"),
        ctx.waitForEvent("go", { timeout: "1m" }),
        ctx.sleepUntil("later", T0 + 9),
      ]);
      return 1;
    }, journal());
    await run.replay();
    expect(run.takeNewEvents()).toEqual([
      { type: "TimerStarted", op: 0, name: "nap", fireAt: T0 + 1_500 },
      { type: "EventWaitStarted", op: 1, name: "go", timeoutAt: T0 + 60_000 },
      { type: "TimerStarted", op: 2, name: "later", fireAt: T0 + 9 },
    ]);
    expect(run.takeNewEvents()).toEqual([]);
    expect(run.nextDueAt()).toBe(T0 + 9);
    expect(run.pendingWaits()).toEqual([{ op: 1, name: "go", timeoutAt: T0 + 60_000, generation: 0 }]);
  });

  it("suffixes repeated operation names with their occurrence", async () => {
    const run = runOf(async (ctx) => {
      await Promise.all([ctx.step("email", () => 1), ctx.step("email", () => 2), ctx.step("email", () => 3)]);
      return 0;
    }, journal());
    await run.replay();
    expect(run.takeNewEvents().map((e) => (e as { name: string }).name)).toEqual([
      "email",
      "email#2",
      "email#3",
    ]);
  });

  it("writes ctx.log only for code that runs live, not for replayed code", async () => {
    const lines: string[] = [];
    const definition = workflow("wf", async (ctx: WorkflowContext) => {
      ctx.log.info("before a");
      await ctx.step("a", () => 1);
      ctx.log.info("after a");
      await ctx.step("b", () => 2);
      return 0;
    });
    const run = new WorkflowRun({
      definition: definition as never,
      executionId: "exec-1",
      journal: journal(
        { type: "StepScheduled", op: 0, name: "a", attempt: 1 },
        { type: "StepSucceeded", op: 0, attempt: 1, result: 1 },
      ),
      errors: new ErrorRegistry(),
      log: (level, message, fields) => lines.push(`${level} ${message} ${fields.executionId}`),
    });
    await run.replay();
    expect(lines).toEqual(["info after a exec-1"]);
  });

  it("fails the workflow when its output cannot be journaled", async () => {
    const run = runOf(async () => ({ callback: () => 1 }), journal());
    await run.replay();
    expect(run.outcome?.type).toBe("failed");
    const [event] = run.takeNewEvents();
    expect(event).toMatchObject({ type: "ExecutionFailed", error: { name: "SerializationError" } });
    expect((event as { error: { message: string } }).error.message).toContain("a function at $.callback");
  });
});
