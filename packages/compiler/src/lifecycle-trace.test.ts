import { describe, expect, it } from "vitest";
import { compileFixture, lifecycleFixtures } from "./__fixtures__/fixture-catalog.js";
import type { WorkflowMachine } from "./ir.js";
import { type TraceEvent, type TraceResult, verifyTrace } from "./verify-trace.js";

/**
 * Hand-written journals of the lifecycle features, in the shapes of the contract
 * (core's events.ts), for orders of events a live run does not pin down; the
 * journals the runtime writes are checked in lifecycle-live.test.ts.
 */
function machine(fixture: string, workflow: string): WorkflowMachine {
  const found = lifecycleFixtures.find((candidate) => candidate.name === fixture);
  if (!found) throw new Error(`no lifecycle fixture ${fixture}`);
  const { machines, diagnostics } = compileFixture(found);
  expect(diagnostics).toEqual([]);
  const result = machines.find((candidate) => candidate.workflow === workflow);
  if (!result) throw new Error(`no workflow ${workflow} in ${fixture}`);
  return result;
}

function journal(workflow: string, ...events: Record<string, unknown>[]): TraceEvent[] {
  return [{ type: "ExecutionStarted", workflow, version: 1, input: null, seed: 1 }, ...events].map(
    (event, seq) => ({ ...event, seq, at: 1000 + seq }) as TraceEvent,
  );
}

const scheduled = (op: number, name: string, attempt = 1) => ({ type: "StepScheduled", op, name, attempt });
const succeeded = (op: number, attempt = 1) => ({ type: "StepSucceeded", op, result: null, attempt });
const failed = (op: number, attempt = 1, retryAt?: number) => ({
  type: "StepFailed",
  op,
  attempt,
  error: { name: "Error", message: "no" },
  ...(retryAt === undefined ? {} : { retryAt }),
});
const step = (op: number, name: string) => [scheduled(op, name), succeeded(op)];
const SUCCEEDED = { type: "ExecutionSucceeded", output: null };
const FAILED = { type: "ExecutionFailed", error: { name: "Error", message: "no" } };
const CANCEL = { type: "CancelRequested", reason: "user" };
const CANCELLED = { type: "ExecutionCancelled", reason: "user" };

function rejectedAt(result: TraceResult): number | undefined {
  return result.ok ? undefined : result.divergence.seq;
}

describe("verifyTrace and ctx.map", () => {
  const consolidate = machine("map-limit", "consolidate");

  it("accepts items interleaved up to the concurrency, with the item steps in the ItemProcessor", () => {
    const run = journal(
      "consolidate",
      scheduled(0, "fetch-a"),
      scheduled(1, "fetch-b"),
      succeeded(1),
      scheduled(2, "clean-b-1"),
      succeeded(0),
      scheduled(3, "clean-a-0"),
      succeeded(2),
      // b is done: a third item may start while a is still cleaning.
      scheduled(4, "fetch-c"),
      succeeded(3),
      succeeded(4),
      ...step(5, "clean-c-2"),
      ...step(6, "write-report"),
      SUCCEEDED,
    );
    const result = verifyTrace(consolidate, run);
    expect(result.ok).toBe(true);
    if (result.ok)
      expect(result.operations.map((o) => o.state)).toEqual(["s2", "s2", "s3", "s3", "s2", "s3", "s4"]);
  });

  it("rejects a third item in flight at concurrency 2, and a step that is not in the ItemProcessor", () => {
    const third = journal(
      "consolidate",
      scheduled(0, "fetch-a"),
      scheduled(1, "fetch-b"),
      scheduled(2, "fetch-c"),
    );
    expect(rejectedAt(verifyTrace(consolidate, third))).toBe(3);
    const stranger = journal("consolidate", scheduled(0, "fetch-a"), scheduled(1, "resize-b"));
    const result = verifyTrace(consolidate, stranger);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.divergence.seq).toBe(2);
      expect(result.divergence.message).toContain('StepScheduled op 1 "resize-b"');
    }
  });

  it("goes on past one failed item (toleratedFailures: 1), and fails the Map at the second", () => {
    const oneFailed = journal(
      "consolidate",
      scheduled(0, "fetch-a"),
      failed(0),
      ...step(1, "fetch-b"),
      ...step(2, "clean-b-1"),
      ...step(3, "write-report"),
      SUCCEEDED,
    );
    expect(verifyTrace(consolidate, oneFailed).ok).toBe(true);
    const twoFailed = [scheduled(0, "fetch-a"), failed(0), scheduled(1, "fetch-b"), failed(1)];
    expect(verifyTrace(consolidate, journal("consolidate", ...twoFailed, FAILED)).ok).toBe(true);
    expect(
      rejectedAt(
        verifyTrace(consolidate, journal("consolidate", ...twoFailed, scheduled(2, "write-report"))),
      ),
    ).toBe(5);
  });

  it("accepts repeated item names with occurrence suffixes, any callback context name, and a share of failures", () => {
    const sample = machine("map-limit", "sample");
    const run = journal(
      "sample",
      scheduled(0, "probe"),
      scheduled(1, "probe#2"),
      scheduled(2, "probe#3"),
      failed(1),
      succeeded(2),
      succeeded(0),
      SUCCEEDED,
    );
    expect(verifyTrace(sample, run).ok).toBe(true);
    expect(
      rejectedAt(
        verifyTrace(
          sample,
          journal("sample", scheduled(0, "probe"), scheduled(1, "probe#2"), scheduled(2, "probe#2")),
        ),
      ),
    ).toBe(3);
  });
});

describe("verifyTrace and compensations", () => {
  const bookTrip = machine("compensations", "bookTrip");
  const upToCharge = [
    ...step(0, "reserve-flight"),
    ...step(1, "reserve-hotel"),
    { type: "EventWaitStarted", op: 2, name: "confirmed", timeoutAt: 9_000 },
    { type: "EventReceived", op: 2, payload: null, inboxSeq: 0 },
    { type: "TimerStarted", op: 3, name: "hold", fireAt: 5_000 },
    { type: "TimerFired", op: 3 },
    scheduled(4, "charge"),
  ];

  it("accepts the undo steps in reverse order after a failure, and only those registered", () => {
    const run = journal(
      "bookTrip",
      ...upToCharge,
      failed(4),
      ...step(5, "cancel-hotel"),
      ...step(6, "cancel-flight"),
      FAILED,
    );
    const result = verifyTrace(bookTrip, run);
    expect(result.ok).toBe(true);
    if (result.ok)
      expect(result.operations.slice(-2)).toEqual([
        { op: 5, state: "s4" },
        { op: 6, state: "s2" },
      ]);
    const early = journal(
      "bookTrip",
      ...step(0, "reserve-flight"),
      scheduled(1, "reserve-hotel"),
      failed(1),
      ...step(2, "cancel-flight"),
      FAILED,
    );
    expect(verifyTrace(bookTrip, early).ok).toBe(true);
  });

  it("rejects the undo steps in the order of registration", () => {
    const wrong = journal(
      "bookTrip",
      ...upToCharge,
      failed(4),
      ...step(5, "cancel-flight"),
      ...step(6, "cancel-hotel"),
    );
    const result = verifyTrace(bookTrip, wrong);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.divergence.seq).toBe(13);
      expect(result.divergence.message).toContain('StepScheduled op 6 "cancel-hotel"');
    }
  });

  it("accepts a cancel while waiting on an event, a sleep or a step in the try: the undo steps run, then ExecutionCancelled", () => {
    const undo = [...step(10, "cancel-hotel"), ...step(11, "cancel-flight"), CANCELLED];
    const onEvent = journal("bookTrip", ...upToCharge.slice(0, 5), CANCEL, ...undo);
    expect(verifyTrace(bookTrip, onEvent).ok).toBe(true);
    const onSleep = journal("bookTrip", ...upToCharge.slice(0, 7), CANCEL, ...undo);
    expect(verifyTrace(bookTrip, onSleep).ok).toBe(true);
    // The step was running: its aborted attempt may still be journaled after the undo began.
    const onStep = journal(
      "bookTrip",
      ...upToCharge,
      CANCEL,
      scheduled(10, "cancel-hotel"),
      failed(4),
      succeeded(10),
      ...step(11, "cancel-flight"),
      CANCELLED,
    );
    expect(verifyTrace(bookTrip, onStep).ok).toBe(true);
    // Cancelled twice: harmless.
    expect(
      verifyTrace(bookTrip, journal("bookTrip", ...upToCharge.slice(0, 5), CANCEL, CANCEL, ...undo)).ok,
    ).toBe(true);
  });

  it("rejects a success after a cancel the catch rethrows, and an undo step no add registers", () => {
    const unregistered = journal(
      "bookTrip",
      ...step(0, "reserve-flight"),
      CANCEL,
      ...step(1, "cancel-hotel"),
    );
    // Accepted: the "registered so far?" Choice does not know how far the try got (docs/diagrams.md).
    expect(verifyTrace(bookTrip, unregistered).ok).toBe(true);
    // The catch rethrows: after a cancel in the try, the execution cannot succeed.
    const succeededAnyway = journal(
      "bookTrip",
      ...upToCharge.slice(0, 5),
      CANCEL,
      ...step(10, "cancel-hotel"),
      SUCCEEDED,
    );
    expect(rejectedAt(verifyTrace(bookTrip, succeededAnyway))).toBe(9);
    const foreign = journal("bookTrip", ...upToCharge.slice(0, 5), CANCEL, ...step(10, "refund"));
    expect(rejectedAt(verifyTrace(bookTrip, foreign))).toBe(7);
  });
});

describe("verifyTrace and cancellation, termination, time-outs", () => {
  const transcode = machine("timeouts", "transcode");

  it("accepts a cancel outside any try followed at once by ExecutionCancelled", () => {
    const run = journal("transcode", ...step(0, "probe"), scheduled(1, "encode"), CANCEL, CANCELLED);
    expect(verifyTrace(transcode, run).ok).toBe(true);
    // A sleep outside a try: the same.
    const poller = machine("continue-as-new", "poller");
    const sleeping = journal(
      "poller",
      ...step(0, "poll"),
      { type: "TimerStarted", op: 1, name: "pause", fireAt: 9 },
      CANCEL,
      CANCELLED,
    );
    expect(verifyTrace(poller, sleeping).ok).toBe(true);
  });

  it("accepts ExecutionTerminated and ExecutionTimedOut after any valid prefix, and nothing after them", () => {
    for (const end of [
      { type: "ExecutionTerminated", reason: "ops" },
      { type: "ExecutionTimedOut", timeoutMs: 60_000 },
    ]) {
      expect(verifyTrace(transcode, journal("transcode", end)).ok).toBe(true);
      expect(verifyTrace(transcode, journal("transcode", scheduled(0, "probe"), end)).ok).toBe(true);
      const after = verifyTrace(transcode, journal("transcode", scheduled(0, "probe"), end, succeeded(0)));
      expect(after.ok).toBe(false);
      if (!after.ok) {
        expect(after.divergence.seq).toBe(3);
        expect(after.divergence.message).toContain(`after ${end.type} at seq 2`);
      }
    }
    // The prefix itself must be a path: a step out of order is still refused.
    expect(
      rejectedAt(
        verifyTrace(transcode, journal("transcode", scheduled(0, "encode"), { type: "ExecutionTerminated" })),
      ),
    ).toBe(1);
  });

  it("ignores heartbeats of a running attempt and rejects one for an op that is not running", () => {
    const beats = (op: number, attempt: number) => ({
      type: "StepHeartbeat",
      op,
      attempt,
      details: { frame: 10 },
    });
    const run = journal(
      "transcode",
      ...step(0, "probe"),
      scheduled(1, "encode"),
      beats(1, 1),
      failed(1, 1, 2_000),
      scheduled(1, "encode", 2),
      beats(1, 2),
      beats(1, 2),
      succeeded(1, 2),
      ...step(2, "publish"),
      SUCCEEDED,
    );
    expect(verifyTrace(transcode, run).ok).toBe(true);
    expect(rejectedAt(verifyTrace(transcode, journal("transcode", scheduled(0, "probe"), beats(1, 1))))).toBe(
      2,
    );
    expect(rejectedAt(verifyTrace(transcode, journal("transcode", ...step(0, "probe"), beats(0, 1))))).toBe(
      3,
    );
  });
});

describe("verifyTrace and ctx.startChild", () => {
  const monthEnd = machine("start-child", "monthEnd");
  const started = [
    {
      type: "ChildStarted",
      op: 0,
      name: "sendReport",
      workflow: "sendReport",
      childId: "report-1",
      parentClosePolicy: "cancel",
    },
    {
      type: "ChildStarted",
      op: 1,
      name: "audit",
      workflow: "audit",
      childId: "c-2",
      parentClosePolicy: "abandon",
    },
  ];

  it("accepts a child's end before or after the wait for it, and a child never awaited", () => {
    const before = journal(
      "monthEnd",
      ...started,
      scheduled(2, "close-books"),
      { type: "ChildSucceeded", op: 0, result: 1 },
      succeeded(2),
      SUCCEEDED,
    );
    expect(verifyTrace(monthEnd, before).ok).toBe(true);
    const after = journal(
      "monthEnd",
      ...started,
      ...step(2, "close-books"),
      { type: "ChildSucceeded", op: 1, result: null },
      { type: "ChildSucceeded", op: 0, result: 1 },
      SUCCEEDED,
    );
    expect(verifyTrace(monthEnd, after).ok).toBe(true);
    const failedChild = journal(
      "monthEnd",
      ...started,
      { type: "ChildFailed", op: 0, error: { name: "Error", message: "x" } },
      ...step(2, "close-books"),
      ...step(3, "alert"),
      SUCCEEDED,
    );
    expect(verifyTrace(monthEnd, failedChild).ok).toBe(true);
  });

  it("rejects the catch after a child that succeeded, and an end before the awaited child ended", () => {
    const wrong = journal(
      "monthEnd",
      ...started,
      { type: "ChildSucceeded", op: 0, result: 1 },
      ...step(2, "close-books"),
      scheduled(3, "alert"),
    );
    expect(rejectedAt(verifyTrace(monthEnd, wrong))).toBe(6);
    const early = journal("monthEnd", ...started, ...step(2, "close-books"), SUCCEEDED);
    expect(rejectedAt(verifyTrace(monthEnd, early))).toBe(5);
  });
});

describe("verifyTrace and continueAsNew", () => {
  const poller = machine("continue-as-new", "poller");
  const upToChoice = [
    ...step(0, "poll"),
    { type: "TimerStarted", op: 1, name: "pause", fireAt: 9 },
    { type: "TimerFired", op: 1 },
  ];

  it("accepts a run that ends with ContinuedAsNew, and the next run from the start", () => {
    const first = journal("poller", ...upToChoice, {
      type: "ContinuedAsNew",
      input: { count: 1 },
      nextRun: 2,
    });
    expect(verifyTrace(poller, first).ok).toBe(true);
    const second = journal("poller", ...upToChoice, ...step(2, "report"), SUCCEEDED);
    (second[0] as { run?: number }).run = 2;
    expect(verifyTrace(poller, second).ok).toBe(true);
  });

  it("rejects ContinuedAsNew on the other branch, and any event after it", () => {
    const other = journal("poller", ...upToChoice, scheduled(2, "report"), {
      type: "ContinuedAsNew",
      input: {},
      nextRun: 2,
    });
    expect(rejectedAt(verifyTrace(poller, other))).toBe(6);
    const trailing = journal(
      "poller",
      ...upToChoice,
      { type: "ContinuedAsNew", input: {}, nextRun: 2 },
      scheduled(2, "poll"),
    );
    expect(rejectedAt(verifyTrace(poller, trailing))).toBe(6);
  });
});
