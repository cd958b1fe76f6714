import type { JournalEvent } from "@stepline/core";
import { describe, expect, it } from "vitest";
import type { EventFields } from "./event-fields.js";
import { journalRows } from "./journal-rows.js";
import { visitedStates } from "./visited-states.js";

const started: EventFields = {
  seq: 0,
  at: 1000,
  type: "ExecutionStarted",
  workflow: "w",
  version: 1,
  input: 1,
  seed: 7,
};

function journal(...bodies: Record<string, unknown>[]): EventFields[] {
  return [
    started,
    ...bodies.map((body, i) => ({ seq: i + 1, at: 1000 + (i + 1) * 10, ...body }) as EventFields),
  ];
}

describe("visitedStates", () => {
  it("colours a retried step retrying, then succeeded, with its attempts", () => {
    const events = journal(
      { type: "StepScheduled", op: 0, name: "charge", attempt: 1 },
      { type: "StepFailed", op: 0, attempt: 1, error: { name: "Error", message: "down" }, retryAt: 5000 },
    );
    expect(visitedStates(events)).toEqual([
      expect.objectContaining({
        name: "charge",
        status: "retrying",
        current: true,
        attempts: 1,
        dueAt: 5000,
      }),
    ]);
    events.push(
      { seq: 3, at: 5000, type: "StepScheduled", op: 0, name: "charge", attempt: 2 },
      { seq: 4, at: 5100, type: "StepSucceeded", op: 0, attempt: 2, result: { ok: true } },
    );
    const [charge] = visitedStates(events);
    expect(charge).toMatchObject({
      status: "succeeded",
      current: false,
      attempts: 2,
      result: { ok: true },
      endedAt: 5100,
    });
    expect(charge?.seqs).toEqual([1, 2, 3, 4]);
  });

  it("shows timers and waits as waiting and current until they complete, in op order", () => {
    const states = visitedStates(
      journal(
        { type: "EventWaitStarted", op: 1, name: "approval", timeoutAt: 9000 },
        { type: "TimerStarted", op: 0, name: "pause", fireAt: 2000 },
        { type: "TimerFired", op: 0 },
      ),
    );
    expect(states.map((s) => [s.op, s.name, s.kind, s.status, s.current])).toEqual([
      [0, "pause", "timer", "succeeded", false],
      [1, "approval", "wait", "waiting", true],
    ]);
  });

  it("reads event kinds it was not written for by their names and fields (child workflows)", () => {
    const states = visitedStates(
      journal(
        { type: "ChildStarted", op: 0, name: "ship", childId: "p/ship" },
        { type: "ChildFailed", op: 0, error: { name: "TerminalError", message: "no address" } },
        { type: "ExecutionFailed", error: { name: "TerminalError", message: "no address" } },
      ),
    );
    expect(states).toEqual([
      expect.objectContaining({
        name: "ship",
        kind: "child",
        status: "failed",
        error: { name: "TerminalError", message: "no address" },
      }),
    ]);
    const rows = journalRows(
      journal(
        { type: "ChildStarted", op: 0, name: "ship", childId: "p/ship" },
        { type: "ChildSucceeded", op: 0, result: 3 },
      ),
    );
    expect(rows.map((r) => [r.type, r.step, r.summary])).toEqual([
      ["ExecutionStarted", "", 1],
      ["ChildStarted", "ship", "child p/ship"],
      ["ChildSucceeded", "ship", 3],
    ]);
  });

  it("marks operations still open when the execution ended as interrupted, not current", () => {
    const states = visitedStates(
      journal(
        { type: "StepScheduled", op: 0, name: "slow", attempt: 1 },
        { type: "ExecutionCancelled", reason: "stop" },
      ) as unknown as JournalEvent[],
    );
    expect(states.map((s) => [s.status, s.current])).toEqual([["interrupted", false]]);
  });
});

describe("visitedStates of a redriven journal", () => {
  it("treats the operations after ExecutionRedriven as live again", () => {
    const at = 1_000;
    const events = [
      { type: "ExecutionStarted", workflow: "w", version: 1, input: null, seed: 1 },
      { type: "StepScheduled", op: 0, name: "charge", attempt: 1 },
      { type: "StepFailed", op: 0, attempt: 1, error: { name: "Error", message: "down" } },
      { type: "ExecutionFailed", error: { name: "StepFailedError", message: "down" }, failedSteps: [0] },
      { type: "ExecutionRedriven" },
      { type: "StepScheduled", op: 0, name: "charge", attempt: 2 },
    ].map((event, seq) => ({ ...event, seq, at: at + seq }));
    const [charge] = visitedStates(events);
    expect(charge).toMatchObject({ name: "charge", status: "running", current: true, attempts: 2 });
  });
});
