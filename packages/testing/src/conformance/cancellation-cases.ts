import {
  CancelledError,
  checkJournal,
  createEngine,
  type Engine,
  type JournalEvent,
  type Store,
  workflow,
} from "@stepline/core";
import { expect } from "vitest";
import type { ConformanceCase } from "./conformance-case.js";
import { claimableIds, claimExecution, startExecution, T0 } from "./store-setup.js";

const order = { id: "order-1", workflow: "orders" };
const HOUR = 3_600_000;

/** Charges, then ships in a step that only its signal ends; a cancel refunds from the catch block. */
const payAndShip = workflow("cancel-pay-and-ship", async (ctx, _input: null) => {
  const charge = await ctx.step("charge", () => "ch-1");
  try {
    await ctx.step(
      "ship",
      ({ signal }) =>
        new Promise<never>((_resolve, reject) => {
          signal.addEventListener("abort", () => reject(signal.reason));
        }),
      { retry: { maxAttempts: 5 } },
    );
    return "shipped";
  } catch (error) {
    await ctx.step("refund", () => `refunded ${charge}`);
    throw error;
  }
});

/** After a cancel, sleeps an hour before undoing. */
const slowUndo = workflow("cancel-slow-undo", async (ctx, _input: null) => {
  try {
    await ctx.waitForEvent("never");
  } catch (error) {
    await ctx.sleep("settle", "1h");
    throw error;
  }
});

/** Catches the cancellation and returns. */
const stopsCleanly = workflow("cancel-stops-cleanly", async (ctx, _input: null) => {
  try {
    await ctx.waitForEvent("never");
    return "went on";
  } catch (error) {
    if (!CancelledError.is(error)) throw error;
    return `stopped: ${error.reason}`;
  }
});

function engineOn(store: Store): Engine {
  return createEngine({ store, pollInterval: 20, log: () => {} });
}

async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const types = (history: JournalEvent[]) => history.map((event) => event.type);

/**
 * Cancellation with compensation (docs/cancellation.md) through real engines on the
 * store under test, and the store rule it relies on (`Release.cancelDelivered`).
 */
export const cancellationCases: readonly ConformanceCase[] = [
  {
    name: "queue.release with cancelDelivered clears the request and keeps the release's own status and dueAt",
    async run(store) {
      await startExecution(store, order.id);
      const lease = await claimExecution(store, order, { now: T0 });
      await store.executions.requestCancel(order.id, "stop", T0 + 1);
      await store.queue.release(
        lease,
        { status: "sleeping", dueAt: T0 + HOUR, inboxSeen: 0, cancelDelivered: true },
        T0 + 2,
      );
      expect(await store.executions.get(order.id)).toMatchObject({
        status: "sleeping",
        dueAt: T0 + HOUR,
        leaseOwner: null,
        cancelRequested: null,
      });
      expect(await claimableIds(store, [order.workflow], T0 + 2)).toEqual([]);
      // A new request after that is a request again: it wakes the execution.
      const again = await store.executions.requestCancel(order.id, "again", T0 + 3);
      expect(again).toMatchObject({ status: "running", dueAt: T0 + 3, cancelRequested: { reason: "again" } });
    },
  },
  {
    name: "engine: a cancel from another engine reaches a running step at lease renewal; the catch block's step runs; cancelled",
    async run(store) {
      const first = engineOn(store);
      const worker = first.worker({ workflows: [payAndShip], leaseMs: 600 });
      await worker.start();
      try {
        const run = await first.client.start(payAndShip, null, { id: "ship-1" });
        await until(async () => (await run.describe()).currentStep === "ship", "the ship step runs");
        // A second engine, as another process would: it shares only the store.
        const second = engineOn(store);
        await second.client.cancel("ship-1", { reason: "customer asked" });
        const error = await second.client.result("ship-1", { timeout: "10s" }).catch((e: unknown) => e);
        expect(CancelledError.is(error)).toBe(true);
        expect((error as CancelledError).reason).toBe("customer asked");
        const history = await second.client.history("ship-1");
        expect(types(history)).toEqual([
          "ExecutionStarted",
          "StepScheduled",
          "StepSucceeded",
          "StepScheduled",
          "CancelRequested",
          "StepScheduled",
          "StepSucceeded",
          "ExecutionCancelled",
        ]);
        expect(history[4]).toMatchObject({ type: "CancelRequested", reason: "customer asked" });
        expect(history[6]).toMatchObject({ type: "StepSucceeded", result: "refunded ch-1" });
        expect(history[7]).toMatchObject({ type: "ExecutionCancelled", reason: "customer asked" });
        expect(checkJournal(history)).toEqual({ ok: true });
        expect(await store.executions.get("ship-1")).toMatchObject({
          status: "cancelled",
          cancelRequested: null,
        });
      } finally {
        await worker.stop();
      }
    },
  },
  {
    name: "engine: a compensation that sleeps after a cancel is handed back sleeping, the request cleared; a second cancel adds nothing",
    async run(store) {
      const engine = engineOn(store);
      const worker = engine.worker({ workflows: [slowUndo], leaseMs: 2_000 });
      await worker.start();
      try {
        const run = await engine.client.start(slowUndo, null, { id: "slow-1" });
        await until(async () => (await run.describe()).status === "waiting", "it waits");
        await run.cancel({ reason: "stop" });
        await until(async () => (await run.describe()).status === "sleeping", "the compensation sleeps");
        const record = await store.executions.get("slow-1");
        expect(record).toMatchObject({ status: "sleeping", leaseOwner: null, cancelRequested: null });
        expect(record?.dueAt).toBeGreaterThan(Date.now() + HOUR - 60_000);
        await run.cancel({ reason: "again" });
        await until(async () => {
          const now = await store.executions.get("slow-1");
          return now?.status === "sleeping" && now.cancelRequested === null;
        }, "it sleeps again");
        expect(types(await run.history())).toEqual([
          "ExecutionStarted",
          "EventWaitStarted",
          "CancelRequested",
          "TimerStarted",
        ]);
      } finally {
        await worker.stop();
      }
    },
  },
  {
    name: "engine: a workflow that catches the CancelledError and returns ends succeeded with its output",
    async run(store) {
      const engine = engineOn(store);
      const worker = engine.worker({ workflows: [stopsCleanly], leaseMs: 2_000 });
      await worker.start();
      try {
        const run = await engine.client.start(stopsCleanly, null, { id: "clean-1" });
        await until(async () => (await run.describe()).status === "waiting", "it waits");
        await run.cancel({ reason: "no longer needed" });
        expect(await run.result({ timeout: "10s" })).toBe("stopped: no longer needed");
        expect(types(await run.history())).toEqual([
          "ExecutionStarted",
          "EventWaitStarted",
          "CancelRequested",
          "ExecutionSucceeded",
        ]);
        expect(await store.executions.get("clean-1")).toMatchObject({
          status: "succeeded",
          cancelRequested: null,
        });
      } finally {
        await worker.stop();
      }
    },
  },
];
