import { describe, expect, it } from "vitest";
import {
  CancelledError,
  ChildFailedError,
  ExecutionAlreadyExistsError,
  InvalidArgumentError,
  type JournalEvent,
  memoryStore,
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
