import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Codec } from "./codec.js";
import { EngineEnv } from "./engine-env.js";
import { ErrorRegistry } from "./error-serialization.js";
import { InvalidArgumentError, TerminalError } from "./errors.js";
import type { JournalEvent, NewEvent } from "./events.js";
import { checkJournal } from "./journal-rules.js";
import { memoryStore } from "./memory-store.js";
import {
  applyParentClosePolicies,
  checkParentClosePolicy,
  openChildren,
  PARENT_CLOSE_POLICIES,
} from "./parent-close-policy.js";
import { systemClock } from "./scheduler.js";
import { type WorkflowContext, type WorkflowDefinition, workflow } from "./workflow.js";
import { WorkflowRun } from "./workflow-run.js";

const T0 = 1_700_000_000_000;

function journal(...bodies: NewEvent[]): JournalEvent[] {
  const started: NewEvent = { type: "ExecutionStarted", workflow: "wf", version: 1, input: 5, seed: 42 };
  return [started, ...bodies].map((body, seq) => ({ ...body, seq, at: T0 + seq }) as JournalEvent);
}

const child = workflow("kid", async (_ctx, n: number) => n);

async function replayed(fn: (ctx: WorkflowContext) => Promise<unknown>, events: JournalEvent[], name = "wf") {
  const definition = workflow(name, fn) as unknown as WorkflowDefinition<never, unknown>;
  const run = new WorkflowRun({ definition, executionId: "p", journal: events, errors: new ErrorRegistry() });
  await run.replay();
  return run;
}

describe("startChild replay", () => {
  const started = (op: number, extra: object = {}): NewEvent => ({
    type: "ChildStarted",
    op,
    name: op === 0 ? "kid" : `kid#${op + 1}`,
    workflow: "kid",
    childId: op === 0 ? "p/kid" : `p/kid#${op + 1}`,
    detached: true,
    ...extra,
  });

  it("settles a handle awaited after other ops in journal order, and proposes nothing new", async () => {
    const order: string[] = [];
    const fn = async (ctx: WorkflowContext) => {
      const a = await ctx.startChild(child, 1);
      const b = await ctx.startChild(child, 2, { parentClosePolicy: "abandon" });
      order.push(`started ${a.id} ${b.id}`);
      const s = await ctx.step("s", () => 0);
      order.push("step");
      return [s, await b.result(), await a.result()];
    };
    const run = await replayed(
      fn,
      journal(
        started(0),
        started(1, { parentClosePolicy: "abandon" }),
        { type: "StepScheduled", op: 2, name: "s", attempt: 1 },
        { type: "ChildSucceeded", op: 0, result: 1 },
        { type: "StepSucceeded", op: 2, attempt: 1, result: 7 },
        { type: "ChildSucceeded", op: 1, result: 2 },
      ),
    );
    expect(run.blocked).toBeUndefined();
    expect(run.outcome).toEqual({ type: "succeeded", output: [7, 2, 1] });
    expect(order).toEqual(["started p/kid p/kid#2", "step"]);
    expect(run.takeNewEvents()).toEqual([{ type: "ExecutionSucceeded", output: [7, 2, 1] }]);
  });

  it("is not blocked by a child that ended while the parent never awaited it", async () => {
    const run = await replayed(
      async (ctx) => {
        await ctx.startChild(child, 1);
        await ctx.sleep("nap", 5);
        return "done";
      },
      journal(
        started(0),
        { type: "TimerStarted", op: 1, name: "nap", fireAt: T0 + 10 },
        { type: "ChildFailed", op: 0, error: new ErrorRegistry().serialize(new TerminalError("boom")) },
        { type: "TimerFired", op: 1 },
      ),
    );
    expect(run.blocked).toBeUndefined();
    expect(run.outcome).toEqual({ type: "succeeded", output: "done" });
    expect(run.pendingChildren()).toEqual([]);
  });

  it("keeps the recorded id and policy of a started child, whatever the code passes now", async () => {
    const run = await replayed(
      async (ctx) => {
        const handle = await ctx.startChild(child, 1, { id: "new-id", parentClosePolicy: "cancel" });
        return handle.id;
      },
      journal(started(0, { parentClosePolicy: "abandon" })),
    );
    expect(run.outcome).toEqual({ type: "succeeded", output: "p/kid" });
    expect(run.pendingChildren()).toMatchObject([{ childId: "p/kid", parentClosePolicy: "abandon" }]);
  });

  it("replays a ctx.child journal recorded before startChild existed, unchanged (golden)", async () => {
    const charge = workflow("charge", async (ctx, input: { amount: number; fail?: boolean }) => {
      const receipt = await ctx.step("capture", () => {
        if (input.fail) throw new TerminalError(`card declined for ${input.amount}`);
        return `receipt-${input.amount}`;
      });
      return { receipt };
    });
    const recorded = JSON.parse(
      readFileSync(new URL("./__journals__/child-order.json", import.meta.url), "utf8"),
    ) as JournalEvent[];
    const run = await replayed(
      async (ctx) => {
        const receipts: string[] = [];
        for (const amount of [5, 500, 7]) {
          try {
            receipts.push((await ctx.child(charge, { amount, fail: amount > 100 })).receipt);
          } catch {
            receipts.push(`declined ${amount}`);
          }
          await ctx.sleep("between", 1);
        }
        return receipts;
      },
      recorded.slice(0, -1),
      "order",
    );
    expect(run.blocked).toBeUndefined();
    const last = recorded.at(-1);
    expect(last).toMatchObject({ type: "ExecutionSucceeded" });
    expect(run.takeNewEvents()).toEqual([
      { type: "ExecutionSucceeded", output: (last as { output: unknown }).output },
    ]);
    expect((last as { output: unknown }).output).toEqual(["receipt-5", "declined 500", "receipt-7"]);
  });
});

describe("openChildren", () => {
  it("lists the started children without a completion, with their policies", () => {
    const events = journal(
      { type: "ChildStarted", op: 0, name: "a", workflow: "a", childId: "p/a" },
      { type: "ChildStarted", op: 1, name: "b", workflow: "b", childId: "p/b", parentClosePolicy: "abandon" },
      { type: "ChildStarted", op: 2, name: "c", workflow: "c", childId: "c", detached: true },
      { type: "ChildSucceeded", op: 0, result: 1 },
      {
        type: "ChildStarted",
        op: 3,
        name: "d",
        workflow: "d",
        childId: "p/d",
        parentClosePolicy: "terminate",
      },
    );
    expect(openChildren(events)).toEqual([
      { childId: "p/b", parentClosePolicy: "abandon" },
      { childId: "c", parentClosePolicy: "cancel" },
      { childId: "p/d", parentClosePolicy: "terminate" },
    ]);
  });
});

describe("checkParentClosePolicy", () => {
  it("accepts the three policies and undefined", () => {
    for (const policy of PARENT_CLOSE_POLICIES) expect(checkParentClosePolicy(policy, "x")).toBe(policy);
    expect(checkParentClosePolicy(undefined, "x")).toBeUndefined();
  });

  it("refuses every other value with InvalidArgumentError naming the call and the value", () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        fc.pre(value !== undefined && !PARENT_CLOSE_POLICIES.includes(value as never));
        try {
          checkParentClosePolicy(value, 'ctx.startChild("kid")');
          return false;
        } catch (error) {
          return (
            InvalidArgumentError.is(error) &&
            error.message.startsWith('ctx.startChild("kid") parentClosePolicy must be "terminate", "cancel"')
          );
        }
      }),
    );
  });
});

describe("applyParentClosePolicies", () => {
  async function setUp() {
    const store = memoryStore();
    const codec = new Codec();
    const cancels: string[] = [];
    const env = new EngineEnv(store, systemClock, codec, new ErrorRegistry(), () => {}, 20);
    env.onCancel((id) => cancels.push(id));
    for (const id of ["c-cancel", "c-abandon", "c-terminate"]) {
      const started = {
        type: "ExecutionStarted",
        seq: 0,
        at: T0,
        workflow: "kid",
        version: 1,
        input: 1,
        seed: 1,
      };
      await store.executions.create({
        id,
        workflow: "kid",
        createdAt: T0,
        started: codec.encode(started as JournalEvent, "start"),
      });
    }
    return { store, env, cancels };
  }

  it("requests cancellation of cancel children with the parent's end as reason, and leaves abandon ones", async () => {
    const { store, env, cancels } = await setUp();
    await applyParentClosePolicies(
      env,
      [
        { childId: "c-cancel", parentClosePolicy: "cancel" },
        { childId: "c-abandon", parentClosePolicy: "abandon" },
        { childId: "gone", parentClosePolicy: "cancel" },
      ],
      { parentId: "p", ended: "timed_out" },
    );
    expect((await store.executions.get("c-cancel"))?.cancelRequested).toEqual({
      reason: 'the parent "p" timed out',
    });
    expect((await store.executions.get("c-abandon"))?.cancelRequested).toBeNull();
    expect(cancels).toEqual(["c-cancel"]);
  });

  it("takes a journal, and closes its open children", async () => {
    const { store, env } = await setUp();
    const events = journal(
      { type: "ChildStarted", op: 0, name: "a", workflow: "kid", childId: "c-cancel" },
      {
        type: "ChildStarted",
        op: 1,
        name: "b",
        workflow: "kid",
        childId: "c-abandon",
        parentClosePolicy: "abandon",
      },
    );
    await applyParentClosePolicies(env, events, { parentId: "p", ended: "terminated", reason: "by ops" });
    expect((await store.executions.get("c-cancel"))?.cancelRequested).toEqual({
      reason: 'the parent "p" was terminated: by ops',
    });
    expect((await store.executions.get("c-abandon"))?.cancelRequested).toBeNull();
  });

  it("terminates terminate children, which end at once with the parent's end as reason", async () => {
    const { store, env } = await setUp();
    await applyParentClosePolicies(env, [{ childId: "c-terminate", parentClosePolicy: "terminate" }], {
      parentId: "p",
      ended: "succeeded",
    });
    expect((await store.executions.get("c-terminate"))?.status).toBe("terminated");
    const journal = await env.readJournal("c-terminate");
    expect(journal.at(-1)).toMatchObject({ type: "ExecutionTerminated", reason: 'the parent "p" succeeded' });
    // Once ended, a second application changes nothing.
    await applyParentClosePolicies(env, [{ childId: "c-terminate", parentClosePolicy: "terminate" }], {
      parentId: "p",
      ended: "succeeded",
    });
    expect(await env.readJournal("c-terminate")).toHaveLength(journal.length);
  });
});

describe("checkJournal of ChildStarted fields", () => {
  const base = { type: "ChildStarted", op: 0, name: "kid", workflow: "kid", childId: "p/kid" } as const;

  it("accepts detached and a recorded policy, and refuses other values of both", () => {
    expect(checkJournal(journal({ ...base, detached: true, parentClosePolicy: "abandon" }))).toEqual({
      ok: true,
    });
    const badPolicy = checkJournal(journal({ ...base, parentClosePolicy: "cancel" as never }));
    expect(badPolicy).toMatchObject({
      ok: false,
      seq: 1,
      problem:
        'has "parentClosePolicy" "cancel" (a string); expected "terminate" or "abandon" (no field for "cancel")',
    });
    const badDetached = checkJournal(journal({ ...base, detached: false as never }));
    expect(badDetached).toMatchObject({
      ok: false,
      problem: 'has "detached" false (a boolean); expected true',
    });
  });
});
