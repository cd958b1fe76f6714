import { describe, expect, it } from "vitest";
import {
  CancelledError,
  ChildFailedError,
  Codec,
  ExecutionAlreadyExistsError,
  InvalidArgumentError,
  type JournalEvent,
  memoryStore,
  type ParentClosePolicy,
  TerminalError,
  workflow,
} from "./index.js";
import { deferred, newEngine, rejection, startWorker, waitUntil } from "./testing/engine-kit.js";

const charge = workflow("charge", async (ctx, input: { amount: number; fail?: boolean }) => {
  const receipt = await ctx.step("capture", () => {
    if (input.fail) throw new TerminalError(`card declined for ${input.amount}`);
    return `receipt-${input.amount}`;
  });
  return { receipt };
});

const order = workflow("order", async (ctx, input: { amounts: number[]; fail?: boolean }) => {
  const receipts: string[] = [];
  for (const amount of input.amounts) {
    const { receipt } = await ctx.child(charge, { amount, fail: input.fail });
    receipts.push(receipt);
  }
  return receipts;
});

const types = (history: JournalEvent[]) => history.map((e) => e.type);

describe("ctx.child", () => {
  it("starts the child with its parent recorded, and resolves with its output", async () => {
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [order, charge] });
    const run = await engine.client.start(order, { amounts: [5, 7] }, { id: "o-1" });
    expect(await run.result({ timeout: "5s" })).toEqual(["receipt-5", "receipt-7"]);

    const history = await run.history();
    expect(types(history)).toEqual([
      "ExecutionStarted",
      "ChildStarted",
      "ChildSucceeded",
      "ChildStarted",
      "ChildSucceeded",
      "ExecutionSucceeded",
    ]);
    expect(history[1]).toMatchObject({ op: 0, name: "charge", workflow: "charge", childId: "o-1/charge" });
    expect(history[3]).toMatchObject({ op: 1, name: "charge#2", childId: "o-1/charge#2" });
    expect(history[2]).toMatchObject({ op: 0, result: { receipt: "receipt-5" } });

    const child = await engine.client.history("o-1/charge#2");
    expect(child[0]).toMatchObject({ type: "ExecutionStarted", workflow: "charge", parent: "o-1" });
    expect(child[0]).toMatchObject({ input: { amount: 7 } });
    expect((await engine.client.describe("o-1/charge#2")).status).toBe("succeeded");
  });

  it("rejects with ChildFailedError whose cause is the child's error", async () => {
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [order, charge] });
    const run = await engine.client.start(order, { amounts: [9], fail: true }, { id: "o-2" });
    const error = await rejection(run.result({ timeout: "5s" }));
    expect(ChildFailedError.is(error)).toBe(true);
    expect(error.message).toBe(
      'Child workflow "charge" (execution "o-2/charge") failed: StepFailedError: Step "capture" failed after 1 attempt: TerminalError: card declined for 9',
    );
    const cause = (error as ChildFailedError).cause as Error;
    expect(cause.name).toBe("StepFailedError");
    expect(types(await run.history()).slice(-2)).toEqual(["ChildFailed", "ExecutionFailed"]);
  });

  it("lets the parent catch a failed child and go on", async () => {
    const tolerant = workflow("tolerant", async (ctx) => {
      try {
        await ctx.child(charge, { amount: 1, fail: true });
        return "charged";
      } catch (error) {
        return ChildFailedError.is(error) ? `fallback after ${error.childId}` : "other";
      }
    });
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [tolerant, charge] });
    const run = await engine.client.start(tolerant, undefined, { id: "t-1" });
    expect(await run.result({ timeout: "5s" })).toBe("fallback after t-1/charge");
  });

  it("waits for a child that runs on a worker of another engine, parked meanwhile", async () => {
    const store = memoryStore();
    const gate = deferred();
    const slow = workflow("slow-charge", async (ctx, amount: number) => {
      await ctx.step("wait for the gate", () => gate.promise);
      return amount * 2;
    });
    const parent = workflow("parent", async (ctx) => ctx.child(slow, 21));
    const parents = newEngine({ store });
    const children = newEngine({ store });
    await startWorker(parents.engine, { workflows: [parent] });
    await startWorker(children.engine, { workflows: [slow] });
    const run = await parents.engine.client.start(parent, undefined, { id: "p-1" });
    // Held 1 s at most, then parked as waiting until the child's notice wakes it.
    await waitUntil(async () => (await run.describe()).status === "waiting", "the parent is parked", 5_000);
    gate.resolve();
    expect(await run.result({ timeout: "5s" })).toBe(42);
    const history = await run.history();
    expect(types(history)).toEqual([
      "ExecutionStarted",
      "ChildStarted",
      "ChildSucceeded",
      "ExecutionSucceeded",
    ]);
  });

  it("finds the child it started, instead of starting another, when the parent is replayed", async () => {
    const store = memoryStore();
    let childRuns = 0;
    const counted = workflow("counted", async (ctx) => ctx.step("count", () => ++childRuns));
    const parent = workflow("replayed-parent", async (ctx) => {
      const first = await ctx.child(counted, undefined);
      await ctx.sleep("pause", "10ms");
      return first;
    });
    const first = newEngine({ store });
    const worker = await startWorker(first.engine, { workflows: [parent, counted] });
    const run = await first.engine.client.start(parent, undefined, { id: "r-1" });
    await waitUntil(async () => (await run.history()).some((e) => e.type === "TimerStarted"), "the sleep");
    await worker.stop();
    const second = newEngine({ store });
    await startWorker(second.engine, { workflows: [parent, counted] });
    expect(await second.engine.client.result("r-1", { timeout: "5s" })).toBe(1);
    expect(childRuns).toBe(1);
    expect((await second.engine.client.list({ workflow: "counted" })).map((e) => e.id)).toEqual([
      "r-1/counted",
    ]);
  });

  it("uses options.id as the child's id, and fails the op when that id runs another workflow", async () => {
    const other = workflow("other", async () => "x");
    const parent = workflow("id-parent", async (ctx, id: string) => {
      try {
        return await ctx.child(charge, { amount: 3 }, { id });
      } catch (error) {
        if (!ChildFailedError.is(error) || !ExecutionAlreadyExistsError.is(error.cause)) return "other";
        return `${error.name}: ${error.message}`;
      }
    });
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [parent, charge, other] });
    const ok = await engine.client.start(parent, "charge-3", { id: "i-1" });
    expect(await ok.result({ timeout: "5s" })).toEqual({ receipt: "receipt-3" });
    expect((await engine.client.describe("charge-3")).workflow).toBe("charge");

    await (await engine.client.start(other, undefined, { id: "taken" })).result({ timeout: "5s" });
    const clash = await engine.client.start(parent, "taken", { id: "i-2" });
    expect(await clash.result({ timeout: "5s" })).toBe(
      'ChildFailedError: Child workflow "charge" (execution "taken") failed: ExecutionAlreadyExistsError: ' +
        'Cannot start child workflow "charge" as execution "taken": an execution with that id already exists ' +
        '(workflow "other", status succeeded) and it was not started by a parent (client.start, or another tool). ' +
        "A child never adopts an execution it did not start. Give the child its own id with ctx.child(definition, input, { id }).",
    );
    expect(types(await clash.history())).toEqual([
      "ExecutionStarted",
      "ChildStarted",
      "ChildFailed",
      "ExecutionSucceeded",
    ]);
  });

  it("requests cancellation of the children a cancelled parent waits for", async () => {
    const gate = deferred();
    const stuck = workflow("stuck", async (ctx) => {
      await ctx.waitForEvent("never");
      await ctx.step("after", () => gate.promise);
    });
    const parent = workflow("cancelled-parent", async (ctx) => ctx.child(stuck, undefined));
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [parent, stuck] });
    const run = await engine.client.start(parent, undefined, { id: "c-1" });
    await waitUntil(async () => (await run.history()).some((e) => e.type === "ChildStarted"), "the child");
    await engine.client.cancel("c-1", "order withdrawn");
    expect(CancelledError.is(await rejection(run.result({ timeout: "5s" })))).toBe(true);
    const child = await rejection(engine.client.result("c-1/stuck", { timeout: "5s" }));
    expect(child.message).toBe('Execution "c-1/stuck" was cancelled: order withdrawn.');
  });

  it("refuses event names in the reserved stepline. namespace", async () => {
    const { engine } = newEngine();
    const sneaky = workflow("sneaky", async (ctx) => ctx.waitForEvent("stepline.child-finished"));
    await startWorker(engine, { workflows: [sneaky] });
    const run = await engine.client.start(sneaky, undefined);
    const error = await rejection(run.result({ timeout: "5s" }));
    expect(InvalidArgumentError.is(error)).toBe(true);
    expect(error.message).toContain(
      'ctx.waitForEvent: the event name "stepline.child-finished" starts with "stepline.", which is reserved',
    );
    const send = await rejection(engine.client.sendEvent(run.id, "stepline.child-finished", "x"));
    expect(InvalidArgumentError.is(send)).toBe(true);
  });
});

describe("child ids", () => {
  /** Writes execution `id` of `charge` straight into the store, as a crash or another tool would leave it. */
  async function existingCharge(
    store: ReturnType<typeof memoryStore>,
    id: string,
    started: { amount: number; parent?: string; parentOp?: number },
  ) {
    const { amount, ...origin } = started;
    const event = {
      type: "ExecutionStarted",
      seq: 0,
      at: 1,
      workflow: "charge",
      version: 1,
      input: { amount },
      seed: 1,
      ...origin,
    };
    await store.executions.create({
      id,
      workflow: "charge",
      createdAt: 1,
      started: new Codec().encode(event as JournalEvent, "start"),
    });
  }

  const chargeOnce = workflow("charge-once", async (ctx, amount: number) => {
    try {
      return await ctx.child(charge, { amount });
    } catch (error) {
      if (!ChildFailedError.is(error) || !ExecutionAlreadyExistsError.is(error.cause)) throw error;
      return error.cause.message;
    }
  });

  it("never adopts an execution it did not start at its derived id, and leaves that execution alone", async () => {
    const { engine, store } = newEngine();
    await existingCharge(store, "p-1/charge", { amount: 1 });
    await startWorker(engine, { workflows: [chargeOnce, charge] });
    const run = await engine.client.start(chargeOnce, 999, { id: "p-1" });
    const message = (await run.result({ timeout: "5s" })) as string;
    expect(message).toContain(
      'Cannot start child workflow "charge" as execution "p-1/charge": an execution with that id already exists (workflow "charge", status ',
    );
    expect(message).toContain(
      "and it was not started by a parent (client.start, or another tool). A child never adopts an execution it did not start. " +
        "Give the child its own id with ctx.child(definition, input, { id }).",
    );
    expect(types(await run.history())).toEqual([
      "ExecutionStarted",
      "ChildStarted",
      "ChildFailed",
      "ExecutionSucceeded",
    ]);
    const other = await engine.client.history("p-1/charge");
    expect(other[0]).toMatchObject({ input: { amount: 1 } });
    expect(other[0]).not.toHaveProperty("parent");
  });

  it("refuses an execution another parent, or another op of this parent, started at the id", async () => {
    const { engine, store } = newEngine();
    await existingCharge(store, "p-2/charge", { amount: 1, parent: "someone-else", parentOp: 0 });
    await existingCharge(store, "p-3/charge", { amount: 1, parent: "p-3", parentOp: 4 });
    await startWorker(engine, { workflows: [chargeOnce, charge] });
    const p2 = await engine.client.start(chargeOnce, 999, { id: "p-2" });
    expect(await p2.result({ timeout: "5s" })).toContain('and it was started by parent "someone-else"');
    const p3 = await engine.client.start(chargeOnce, 999, { id: "p-3" });
    expect(await p3.result({ timeout: "5s" })).toContain(
      "and it was started by op 4 of this parent, not op 0",
    );

    // One id given to two child ops of one parent: the second does not get the first one's result.
    const twice = workflow("twice", async (ctx) => {
      const first = await ctx.child(charge, { amount: 1 }, { id: "shared-child" });
      const second = await ctx
        .child(charge, { amount: 999 }, { id: "shared-child" })
        .catch((error: Error) => error);
      return [
        first,
        ChildFailedError.is(second) ? second.cause instanceof Error && second.cause.message : second,
      ];
    });
    await startWorker(engine, { workflows: [twice] });
    const run = await engine.client.start(twice, undefined, { id: "t-1" });
    const [first, second] = (await run.result({ timeout: "5s" })) as [unknown, string];
    expect(first).toEqual({ receipt: "receipt-1" });
    expect(second).toContain("it was started by op 0 of this parent, not op 1");
  });

  it("adopts the child this parent op created before a crash kept its ChildStarted out of the journal", async () => {
    const { engine, store } = newEngine();
    await existingCharge(store, "p-4/charge", { amount: 4, parent: "p-4", parentOp: 0 });
    // A journal written before parentOp was recorded: the parent alone identifies it.
    await existingCharge(store, "p-5/charge", { amount: 5, parent: "p-5" });
    await startWorker(engine, { workflows: [chargeOnce, charge] });
    expect(await (await engine.client.start(chargeOnce, 4, { id: "p-4" })).result({ timeout: "5s" })).toEqual(
      {
        receipt: "receipt-4",
      },
    );
    expect(await (await engine.client.start(chargeOnce, 5, { id: "p-5" })).result({ timeout: "5s" })).toEqual(
      {
        receipt: "receipt-5",
      },
    );
    expect(
      (await engine.client.history("p-4/charge")).filter((e) => e.type === "ExecutionStarted"),
    ).toHaveLength(1);
  });

  it("refuses a chosen id with /, which only derived child ids have", async () => {
    const { engine } = newEngine();
    const slashed = workflow("slashed", async (ctx) =>
      ctx.child(charge, { amount: 1 }, { id: "p-6/charge" }),
    );
    await startWorker(engine, { workflows: [slashed, charge] });
    const run = await engine.client.start(slashed, undefined, { id: "p-6" });
    const error = await rejection(run.result({ timeout: "5s" }));
    expect(InvalidArgumentError.is(error)).toBe(true);
    expect(error.message).toContain(
      'ctx.child("charge"): the execution id "p-6/charge" contains "/", which is reserved',
    );
    const start = await rejection(engine.client.start(charge, { amount: 1 }, { id: "p-6/charge" }));
    expect(start.message).toContain('client.start: the execution id "p-6/charge" contains "/"');
    expect(await engine.client.list({ workflow: "charge" })).toEqual([]);
  });

  it("fails the child op when its derived id would be longer than an execution id may be", async () => {
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [chargeOnce, charge] });
    const parentId = "p".repeat(1020);
    const run = await engine.client.start(chargeOnce, 1, { id: parentId });
    const error = await rejection(run.result({ timeout: "5s" }));
    expect(ChildFailedError.is(error)).toBe(true);
    expect(error.message).toContain("is 1027 bytes of UTF-8, more than the 1024 allowed");
    expect(await engine.client.list({ workflow: "charge" })).toEqual([]);
  });

  it("records the parent op in the child's ExecutionStarted", async () => {
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [order, charge] });
    await (await engine.client.start(order, { amounts: [1, 2] }, { id: "o-9" })).result({ timeout: "5s" });
    expect((await engine.client.history("o-9/charge#2"))[0]).toMatchObject({ parent: "o-9", parentOp: 1 });
  });
});

/** A child that runs until it is sent "go" (then returns `done <input>`), or is cancelled. */
const gated = workflow("gated", async (ctx, n: number) => {
  await ctx.waitForEvent("go");
  return `done ${n}`;
});

const statusOf = async (engine: ReturnType<typeof newEngine>["engine"], id: string) =>
  (await engine.client.describe(id)).status;

/** Waits for `id` to be parked waiting (a gated child not yet sent "go"), with no cancellation requested. */
async function expectLeftWaiting(engine: ReturnType<typeof newEngine>["engine"], id: string) {
  await waitUntil(async () => (await statusOf(engine, id)) === "waiting", `${id} waits`);
  expect((await engine.client.describe(id)).cancelRequested).toBe(false);
}

describe("ctx.startChild", () => {
  it("resolves with a handle once ChildStarted is journaled; result() awaited after a sleep gives the output", async () => {
    const later = workflow("later", async (ctx) => {
      const handle = await ctx.startChild(charge, { amount: 12 });
      await ctx.sleep("meanwhile", "20ms");
      const { receipt } = await handle.result();
      return { id: handle.id, receipt, again: (await handle.result()).receipt };
    });
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [later, charge] });
    const run = await engine.client.start(later, undefined, { id: "s-1" });
    expect(await run.result({ timeout: "5s" })).toEqual({
      id: "s-1/charge",
      receipt: "receipt-12",
      again: "receipt-12",
    });
    const history = await run.history();
    expect(history[1]).toEqual({
      type: "ChildStarted",
      seq: 1,
      at: history[1]?.at,
      op: 0,
      name: "charge",
      workflow: "charge",
      childId: "s-1/charge",
      detached: true,
    });
    expect(types(history)).toContain("ChildSucceeded");
    expect(types(history).at(-1)).toBe("ExecutionSucceeded");
  });

  it("ends the parent when its function returns, with children pending; the default policy cancels them", async () => {
    const fire = workflow("fire-and-forget", async (ctx) => {
      const handle = await ctx.startChild(gated, 1);
      return handle.id;
    });
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [fire, gated] });
    const run = await engine.client.start(fire, undefined, { id: "f-1" });
    expect(await run.result({ timeout: "5s" })).toBe("f-1/gated");
    const child = await rejection(engine.client.result("f-1/gated", { timeout: "5s" }));
    expect(CancelledError.is(child)).toBe(true);
    expect(child.message).toBe('Execution "f-1/gated" was cancelled: the parent "f-1" succeeded.');
    expect(types(await run.history())).toEqual(["ExecutionStarted", "ChildStarted", "ExecutionSucceeded"]);
  });

  /** Starts three gated children with `policy`, awaits the first, and returns. */
  function threeChildren(policy: ParentClosePolicy | undefined) {
    return workflow(`three-${policy ?? "default"}`, async (ctx) => {
      const options = policy === undefined ? {} : { parentClosePolicy: policy };
      const handles = [
        await ctx.startChild(gated, 1, options),
        await ctx.startChild(gated, 2, options),
        await ctx.startChild(gated, 3, options),
      ];
      return { first: await handles[0]?.result(), ids: handles.map((h) => h.id) };
    });
  }

  it("leaves the children it did not await running with parentClosePolicy abandon", async () => {
    const parent = threeChildren("abandon");
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [parent, gated] });
    const run = await engine.client.start(parent, undefined, { id: "a-1" });
    await waitUntil(async () => (await run.history()).length === 4, "three children started");
    await engine.client.sendEvent("a-1/gated", "go");
    expect(await run.result({ timeout: "5s" })).toEqual({
      first: "done 1",
      ids: ["a-1/gated", "a-1/gated#2", "a-1/gated#3"],
    });
    expect((await run.history())[2]).toMatchObject({ type: "ChildStarted", parentClosePolicy: "abandon" });
    await expectLeftWaiting(engine, "a-1/gated#2");
    await engine.client.sendEvent("a-1/gated#2", "go");
    await engine.client.sendEvent("a-1/gated#3", "go");
    expect(await engine.client.result("a-1/gated#2", { timeout: "5s" })).toBe("done 2");
    expect(await engine.client.result("a-1/gated#3", { timeout: "5s" })).toBe("done 3");
    // The parent had ended: the children's ends are not journaled in it.
    expect(types(await run.history()).filter((t) => t === "ChildSucceeded")).toHaveLength(1);
  });

  it.each([
    ["cancel", "cancel"],
    ["the default", undefined],
  ] as const)("cancels the children it did not await with parentClosePolicy %s", async (_, policy) => {
    const parent = threeChildren(policy);
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [parent, gated] });
    const run = await engine.client.start(parent, undefined, { id: "k-1" });
    await waitUntil(async () => (await run.history()).length === 4, "three children started");
    await engine.client.sendEvent("k-1/gated", "go");
    expect((await run.result({ timeout: "5s" })) as { first: string }).toMatchObject({ first: "done 1" });
    expect((await run.history())[2]).not.toHaveProperty("parentClosePolicy");
    for (const id of ["k-1/gated#2", "k-1/gated#3"]) {
      const error = await rejection(engine.client.result(id, { timeout: "5s" }));
      expect(error.message).toBe(`Execution "${id}" was cancelled: the parent "k-1" succeeded.`);
    }
    expect(await statusOf(engine, "k-1/gated")).toBe("succeeded");
  });

  it("terminates the children it did not await with parentClosePolicy terminate", async () => {
    const parent = threeChildren("terminate");
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [parent, gated] });
    const run = await engine.client.start(parent, undefined, { id: "t-3" });
    await waitUntil(async () => (await run.history()).length === 4, "three children started");
    expect((await run.history())[3]).toMatchObject({ type: "ChildStarted", parentClosePolicy: "terminate" });
    await engine.client.sendEvent("t-3/gated", "go");
    expect((await run.result({ timeout: "5s" })) as { first: string }).toMatchObject({ first: "done 1" });
    for (const id of ["t-3/gated#2", "t-3/gated#3"]) {
      expect(await statusOf(engine, id)).toBe("terminated");
      const error = await rejection(engine.client.result(id, { timeout: "5s" }));
      expect(error.message).toBe(`Execution "${id}" was terminated: the parent "t-3" succeeded.`);
      expect(types(await engine.client.history(id))).toEqual([
        "ExecutionStarted",
        "EventWaitStarted",
        "ExecutionTerminated",
      ]);
    }
  });

  it("applies each child's policy when the parent fails, and when it is cancelled", async () => {
    const failing = workflow("failing-parent", async (ctx) => {
      await ctx.startChild(gated, 1, { parentClosePolicy: "abandon" });
      await ctx.startChild(gated, 2);
      throw new TerminalError("gave up");
    });
    const waiting = workflow("waiting-parent", async (ctx) => {
      await ctx.startChild(gated, 1, { parentClosePolicy: "abandon" });
      await ctx.startChild(gated, 2, { parentClosePolicy: "cancel" });
      await ctx.waitForEvent("never");
    });
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [failing, waiting, gated] });
    const failed = await engine.client.start(failing, undefined, { id: "pf" });
    expect((await rejection(failed.result({ timeout: "5s" }))).message).toContain("gave up");
    expect((await rejection(engine.client.result("pf/gated#2", { timeout: "5s" }))).message).toBe(
      'Execution "pf/gated#2" was cancelled: the parent "pf" failed.',
    );
    await expectLeftWaiting(engine, "pf/gated");

    const cancelled = await engine.client.start(waiting, undefined, { id: "pc" });
    await waitUntil(async () => (await cancelled.history()).length === 4, "the wait");
    await engine.client.cancel("pc", "not needed");
    expect(CancelledError.is(await rejection(cancelled.result({ timeout: "5s" })))).toBe(true);
    expect((await rejection(engine.client.result("pc/gated#2", { timeout: "5s" }))).message).toBe(
      'Execution "pc/gated#2" was cancelled: not needed.',
    );
    await expectLeftWaiting(engine, "pc/gated");
    await engine.client.sendEvent("pc/gated", "go");
    expect(await engine.client.result("pc/gated", { timeout: "5s" })).toBe("done 1");
  });

  it("takes parentClosePolicy on ctx.child too: an abandon child awaited by a cancelled parent runs on", async () => {
    const awaiting = workflow("awaiting-parent", async (ctx) =>
      ctx.child(gated, 4, { parentClosePolicy: "abandon" }),
    );
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [awaiting, gated] });
    const run = await engine.client.start(awaiting, undefined, { id: "aw" });
    await waitUntil(async () => (await run.history()).length === 2, "the child");
    expect((await run.history())[1]).toEqual(
      expect.objectContaining({ type: "ChildStarted", parentClosePolicy: "abandon" }),
    );
    expect((await run.history())[1]).not.toHaveProperty("detached");
    await engine.client.cancel("aw");
    expect(CancelledError.is(await rejection(run.result({ timeout: "5s" })))).toBe(true);
    await expectLeftWaiting(engine, "aw/gated");
    await engine.client.sendEvent("aw/gated", "go");
    expect(await engine.client.result("aw/gated", { timeout: "5s" })).toBe("done 4");
  });

  it("applies the policies of a parent cancelled while parked, from its journal", async () => {
    const parked = workflow("parked-parent", async (ctx) => {
      await ctx.startChild(gated, 1, { parentClosePolicy: "abandon" });
      await ctx.startChild(gated, 2);
      await ctx.sleep("a long while", "1d");
    });
    const store = memoryStore();
    const first = newEngine({ store });
    const worker = await startWorker(first.engine, { workflows: [parked, gated] });
    const run = await first.engine.client.start(parked, undefined, { id: "pp" });
    // Parked as waiting (for its children) after being held a second at most.
    await waitUntil(async () => (await run.describe()).status === "waiting", "the parent is parked", 5_000);
    await worker.stop();
    await first.engine.client.cancel("pp");
    const second = newEngine({ store });
    await startWorker(second.engine, { workflows: [parked, gated] });
    expect(CancelledError.is(await rejection(second.engine.client.result("pp", { timeout: "5s" })))).toBe(
      true,
    );
    expect((await rejection(second.engine.client.result("pp/gated#2", { timeout: "5s" }))).message).toBe(
      'Execution "pp/gated#2" was cancelled: the parent was cancelled.',
    );
    await expectLeftWaiting(second.engine, "pp/gated");
  });

  it("finds its children again when replayed after a crash between startChild and result()", async () => {
    const store = memoryStore();
    let childRuns = 0;
    const counted = workflow("counted-child", async (ctx, n: number) => {
      await ctx.waitForEvent("go");
      return ctx.step("count", () => n * 10 + ++childRuns);
    });
    const parent = workflow("crashing-parent", async (ctx) => {
      const a = await ctx.startChild(counted, 1);
      const b = await ctx.startChild(counted, 2, { id: "chosen-b" });
      await ctx.sleep("between", "10ms");
      const ran = await ctx.step("middle", () => "middle");
      return [ran, await b.result(), await a.result(), a.id, b.id];
    });
    const first = newEngine({ store });
    const worker = await startWorker(first.engine, { workflows: [parent, counted] });
    const run = await first.engine.client.start(parent, undefined, { id: "cr" });
    await waitUntil(async () => (await run.history()).some((e) => e.type === "TimerStarted"), "the sleep");
    await worker.stop();
    expect(types(await run.history())).toEqual([
      "ExecutionStarted",
      "ChildStarted",
      "ChildStarted",
      "TimerStarted",
    ]);
    const second = newEngine({ store });
    await startWorker(second.engine, { workflows: [parent, counted] });
    await waitUntil(
      async () => (await run.history()).some((e) => e.type === "StepSucceeded"),
      "the middle step",
    );
    await second.engine.client.sendEvent("chosen-b", "go");
    await second.engine.client.sendEvent("cr/counted-child", "go");
    expect(await second.engine.client.result("cr", { timeout: "5s" })).toEqual([
      "middle",
      21,
      12,
      "cr/counted-child",
      "chosen-b",
    ]);
    expect(childRuns).toBe(2);
    expect((await second.engine.client.list({ workflow: "counted-child" })).map((e) => e.id).sort()).toEqual([
      "chosen-b",
      "cr/counted-child",
    ]);
  });

  it("fails result(), not the start, when the id is taken by an execution it did not start, and leaves that one alone", async () => {
    const other = workflow("other-owner", async (ctx) => ctx.waitForEvent("go"));
    const parent = workflow("colliding-parent", async (ctx) => {
      const handle = await ctx.startChild(gated, 1, { id: "taken-id" });
      const error = await handle.result().catch((e: Error) => e);
      return ChildFailedError.is(error) && ExecutionAlreadyExistsError.is(error.cause) ? handle.id : "other";
    });
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [parent, gated, other] });
    await engine.client.start(other, undefined, { id: "taken-id" });
    const run = await engine.client.start(parent, undefined, { id: "col" });
    expect(await run.result({ timeout: "5s" })).toBe("taken-id");
    expect(types(await run.history())).toEqual([
      "ExecutionStarted",
      "ChildStarted",
      "ChildFailed",
      "ExecutionSucceeded",
    ]);
    // The parent ended with the op failed, not open: the other execution is not cancelled.
    const described = await engine.client.describe("taken-id");
    expect([described.status, described.cancelRequested]).toEqual(["waiting", false]);
  });

  it("refuses an unknown parentClosePolicy with InvalidArgumentError, journaling no child", async () => {
    const bad = workflow("bad-policy", async (ctx) => {
      await ctx.startChild(gated, 1, { parentClosePolicy: "detach" as ParentClosePolicy });
    });
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [bad, gated] });
    const run = await engine.client.start(bad, undefined, { id: "bp" });
    const error = await rejection(run.result({ timeout: "5s" }));
    expect(InvalidArgumentError.is(error)).toBe(true);
    expect(error.message).toBe(
      'ctx.startChild("gated") parentClosePolicy must be "terminate", "cancel" or "abandon" (or left out for "cancel"); got "detach". See docs/children.md.',
    );
    expect(types(await run.history())).toEqual(["ExecutionStarted", "ExecutionFailed"]);
  });

  it("applies each open child's parentClosePolicy when the parent is terminated, running no parent code", async () => {
    const parent = workflow("terminated-parent", async (ctx) => {
      await ctx.startChild(gated, 1, { parentClosePolicy: "terminate" });
      await ctx.startChild(gated, 2, { parentClosePolicy: "cancel" });
      await ctx.startChild(gated, 3, { parentClosePolicy: "abandon" });
      await ctx.waitForEvent("never");
      return "unreachable";
    });
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [parent, gated] });
    const run = await engine.client.start(parent, undefined, { id: "tp" });
    await waitUntil(
      async () => (await run.history()).some((e) => e.type === "EventWaitStarted"),
      "children started",
    );
    await engine.client.terminate("tp", { reason: "operator" });
    expect(await statusOf(engine, "tp")).toBe("terminated");
    expect(await statusOf(engine, "tp/gated")).toBe("terminated");
    const terminated = await rejection(engine.client.result("tp/gated", { timeout: "5s" }));
    expect(terminated.message).toBe(
      'Execution "tp/gated" was terminated: the parent "tp" was terminated: operator.',
    );
    const cancelled = await rejection(engine.client.result("tp/gated#2", { timeout: "5s" }));
    expect(CancelledError.is(cancelled)).toBe(true);
    expect(cancelled.message).toBe(
      'Execution "tp/gated#2" was cancelled: the parent "tp" was terminated: operator.',
    );
    await expectLeftWaiting(engine, "tp/gated#3");
    expect(types(await run.history()).at(-1)).toBe("ExecutionTerminated");
  });
});

describe("ctx.startChild live and on replay", () => {
  it("settles handles, results and a racing step in the same order on replay as live", async () => {
    const quick = workflow("quick", async (ctx, n: number) => ctx.step("double", () => n * 2));
    const seen: string[][] = [];
    const racer = workflow("racer", async (ctx) => {
      const trace: string[] = [];
      const started = ctx.startChild(quick, 1).then((h) => {
        trace.push(`started ${h.id}`);
        return h;
      });
      const step = ctx
        .step("s", () => "s")
        .then((v) => {
          trace.push(`step ${v}`);
          return v;
        });
      trace.push(`race ${await Promise.race([started.then(() => "start"), step])}`);
      const other = await ctx.startChild(quick, 2);
      const [a, b] = await Promise.all([other.result(), (await started).result()]);
      trace.push(`results ${a} ${b}`, `now ${ctx.now() > 0}`);
      seen.push([...trace]);
      await ctx.waitForEvent("go");
      return trace;
    });
    const store = memoryStore();
    const first = newEngine({ store });
    const worker = await startWorker(first.engine, { workflows: [racer, quick] });
    const run = await first.engine.client.start(racer, undefined, { id: "race" });
    await waitUntil(() => seen.length === 1, "the live run reaches its wait");
    await worker.stop();
    const second = newEngine({ store });
    await startWorker(second.engine, { workflows: [racer, quick] });
    await second.engine.client.sendEvent("race", "go");
    const replayed = (await second.engine.client.result(run.id, { timeout: "5s" })) as string[];
    expect(replayed).toEqual(seen[0]);
    expect(seen).toEqual([
      ["started race/quick", "race start", "step s", "results 4 2", "now true"],
      ["started race/quick", "race start", "step s", "results 4 2", "now true"],
    ]);
  });
});
