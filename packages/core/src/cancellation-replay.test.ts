import { describe, expect, it } from "vitest";
import type { JournalEvent } from "./events.js";
import { CancelledError, createEngine, memoryStore, type Store, workflow } from "./index.js";
import { checkJournal } from "./journal-rules.js";
import { storeHoldingPrefix } from "./testing/crashed-store.js";

/**
 * Crash at every point of a cancellation with a saga (as crash-replay.test.ts does
 * for the happy path): a fresh store holds a prefix of the crash-free journal, the
 * cancellation request as the record keeps it, and a new worker resumes. The journal
 * must come out the same, and every undo step must run exactly once over both lives.
 */

const bodyCalls = new Map<string, number>();
const call = <T>(name: string, value: T): T => {
  bodyCalls.set(name, (bodyCalls.get(name) ?? 0) + 1);
  return value;
};

const UNDO = ["refund", "release-stock", "notify"];

const order = workflow("cancel-crash", async (ctx, _input: null) => {
  const saga = ctx.compensations();
  try {
    await ctx.step("notify-start", () => call("notify-start", 1));
    saga.add("notify", () => call("notify", "told"));
    const hold = await ctx.step("reserve", () => call("reserve", "h-1"));
    saga.add("release-stock", () => call("release-stock", `released ${hold}`));
    const charge = await ctx.step("charge", () => call("charge", "c-1"));
    saga.add("refund", () => call("refund", `refunded ${charge}`), { retry: { maxAttempts: 3 } });
    await ctx.waitForEvent("shipped");
    return "shipped";
  } catch (error) {
    await saga.run();
    throw error;
  }
});

function normalize(events: JournalEvent[]): string[] {
  const out: string[] = [];
  const lastTypeOfOp = new Map<number, string>();
  for (const event of events) {
    const { seq: _seq, at: _at, ...body } = event as JournalEvent & Record<string, unknown>;
    delete body.attempt;
    const op = (event as { op?: number }).op;
    if (event.type === "StepScheduled" && op !== undefined && lastTypeOfOp.get(op) === "StepScheduled")
      continue;
    if (op !== undefined) lastTypeOfOp.set(op, event.type);
    out.push(JSON.stringify(body));
  }
  return out;
}

async function runToEnd(store: Store, id: string, cancelWhenWaiting: boolean) {
  const engine = createEngine({ store, log: () => {}, pollInterval: 10 });
  const worker = engine.worker({ workflows: [order], leaseMs: 5_000 });
  await worker.start();
  try {
    if (cancelWhenWaiting) {
      const deadline = Date.now() + 5_000;
      while ((await engine.client.describe(id)).status !== "waiting") {
        if (Date.now() > deadline) throw new Error("the execution never waited");
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await engine.client.cancel(id, { reason: "called off" });
    }
    const error = await engine.client.result(id, { timeout: "10s" }).then(
      () => undefined,
      (e: unknown) => e,
    );
    return { error, journal: await engine.client.history(id) };
  } finally {
    await worker.stop();
  }
}

describe("a cancellation with compensation, crashed at any point", () => {
  it("resumes to the crash-free journal, and runs each undo step once", async () => {
    const reference = memoryStore();
    const refEngine = createEngine({ store: reference, log: () => {} });
    await refEngine.client.start(order, null, { id: "c-1" });
    bodyCalls.clear();
    const crashFree = await runToEnd(reference, "c-1", true);
    expect(CancelledError.is(crashFree.error)).toBe(true);
    expect(UNDO.map((name) => bodyCalls.get(name))).toEqual([1, 1, 1]);
    expect(checkJournal(crashFree.journal)).toEqual({ ok: true });
    const expected = normalize(crashFree.journal);
    expect(crashFree.journal.map((e) => e.type)).toEqual([
      "ExecutionStarted",
      ...[
        "StepScheduled",
        "StepSucceeded",
        "StepScheduled",
        "StepSucceeded",
        "StepScheduled",
        "StepSucceeded",
      ],
      "EventWaitStarted",
      "CancelRequested",
      ...[
        "StepScheduled",
        "StepSucceeded",
        "StepScheduled",
        "StepSucceeded",
        "StepScheduled",
        "StepSucceeded",
      ],
      "ExecutionCancelled",
    ]);
    const waitAt = crashFree.journal.findIndex((e) => e.type === "EventWaitStarted");

    for (let cut = 1; cut < crashFree.journal.length - 1; cut++) {
      const prefix = crashFree.journal.slice(0, cut);
      const started = prefix[0] as JournalEvent;
      const store = await storeHoldingPrefix("c-1", prefix);
      // Past the wait, the request was made before the crash: the record still holds it
      // (a release with cancelDelivered, or the end, is what clears it).
      const requestedBefore = cut > waitAt;
      if (requestedBefore) await store.executions.requestCancel("c-1", "called off", started.at + 1);
      bodyCalls.clear();
      const resumed = await runToEnd(store, "c-1", !requestedBefore);

      expect({ cut, cancelled: CancelledError.is(resumed.error) }).toEqual({ cut, cancelled: true });
      expect({ cut, journal: normalize(resumed.journal) }).toEqual({ cut, journal: expected });
      for (const name of UNDO) {
        const op = crashFree.journal.find((e) => e.type === "StepScheduled" && e.name === name) as {
          op: number;
        };
        const doneBefore = prefix.some((e) => e.type === "StepSucceeded" && e.op === op.op);
        expect({ cut, name, calls: bodyCalls.get(name) ?? 0 }).toEqual({
          cut,
          name,
          calls: doneBefore ? 0 : 1,
        });
      }
    }
  }, 60_000);
});
