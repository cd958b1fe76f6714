import { describe, expect, it } from "vitest";
import { ErrorRegistry } from "./error-serialization.js";
import type { JournalEvent } from "./events.js";
import { heartbeatInterval, latestHeartbeats } from "./heartbeats.js";
import { checkJournal } from "./journal-rules.js";
import { workflow } from "./workflow.js";
import { WorkflowRun } from "./workflow-run.js";

const T0 = Date.UTC(2030, 0, 1);
const started: JournalEvent = {
  type: "ExecutionStarted",
  seq: 0,
  at: T0,
  workflow: "w",
  version: 1,
  input: null,
  seed: 1,
  timeoutAt: T0 + 60_000,
};
const scheduled = (seq: number, attempt: number): JournalEvent => ({
  type: "StepScheduled",
  seq,
  at: T0 + seq,
  op: 0,
  name: "s",
  attempt,
});
const beat = (seq: number, attempt: number, details: unknown): JournalEvent => ({
  type: "StepHeartbeat",
  seq,
  at: T0 + seq,
  op: 0,
  attempt,
  details,
});

describe("journal rules of StepHeartbeat and ExecutionTimedOut", () => {
  it("accepts heartbeats of the scheduled attempt and a timed-out end", () => {
    const journal = [
      started,
      scheduled(1, 1),
      beat(2, 1, { row: 1 }),
      beat(3, 1, { row: 2 }),
      { type: "ExecutionTimedOut", seq: 4, at: T0 + 60_000, timeoutMs: 60_000 },
    ];
    expect(checkJournal(journal)).toEqual({ ok: true });
  });

  it("refuses a heartbeat of an op never scheduled, of another attempt, or after the step completed", () => {
    const unscheduled = checkJournal([started, beat(1, 1, null)]);
    expect(unscheduled.ok === false && unscheduled.message).toContain("no event before it scheduled");
    const other = checkJournal([started, scheduled(1, 2), beat(2, 1, null)]);
    expect(other.ok === false && other.message).toBe(
      'event 2 (StepHeartbeat) is a heartbeat of attempt 1 of step "s" while attempt 2 is the one scheduled; expected attempt 2',
    );
    const done = checkJournal([
      started,
      scheduled(1, 1),
      { type: "StepSucceeded", seq: 2, at: T0, op: 0, attempt: 1, result: 1 },
      beat(3, 1, null),
    ]);
    expect(done.ok === false && done.message).toBe(
      'event 3 (StepHeartbeat) is a heartbeat of step "s" (op 0) after it completed',
    );
  });

  it("refuses a bad timeoutMs, a bad timeoutAt, and events after ExecutionTimedOut", () => {
    const negative = checkJournal([started, { type: "ExecutionTimedOut", seq: 1, at: T0, timeoutMs: -1 }]);
    expect(negative.ok === false && negative.problem).toBe(
      'has "timeoutMs" -1 (a number); expected a number of ms >= 0',
    );
    const badAt = checkJournal([{ ...started, timeoutAt: "soon" }]);
    expect(badAt.ok === false && badAt.problem).toContain("timeoutAt");
    const after = checkJournal([
      started,
      { type: "ExecutionTimedOut", seq: 1, at: T0, timeoutMs: 5 },
      scheduled(2, 1),
    ]);
    expect(after.ok === false && after.problem).toContain("follows the terminal event 1");
  });
});

describe("replay of heartbeats and totalTimeout", () => {
  const resumable = workflow("w", async (ctx, _: null) =>
    ctx.step("s", () => 1, { totalTimeout: "1m", heartbeatTimeout: "10s" }),
  );

  it("plans the attempt after a crash with the last heartbeat's details and the first attempt's start", async () => {
    const journal = [started, scheduled(1, 1), beat(2, 1, { row: 1 }), beat(3, 1, { row: 7 })];
    const run = new WorkflowRun({
      definition: resumable,
      executionId: "e",
      journal,
      errors: new ErrorRegistry(),
    });
    await run.replay();
    expect(run.blocked).toBeUndefined();
    const [step] = run.takeRunnableSteps(T0 + 10_000);
    expect(step).toMatchObject({
      attempt: 2,
      lastHeartbeat: { row: 7 },
      firstAt: T0 + 1,
      totalTimeoutMs: 60_000,
      heartbeatTimeoutMs: 10_000,
    });
  });

  it("shows the latest heartbeat of running steps only", () => {
    const journal = [started, scheduled(1, 1), beat(2, 1, "a"), beat(3, 1, "b")];
    expect(latestHeartbeats(journal)).toEqual([
      { step: "s", op: 0, attempt: 1, details: "b", at: new Date(T0 + 3) },
    ]);
    const done: JournalEvent = { type: "StepSucceeded", seq: 4, at: T0, op: 0, attempt: 1, result: 1 };
    expect(latestHeartbeats([...journal, done])).toEqual([]);
  });

  it("throttles journaled heartbeats to max(1 s, heartbeatTimeout / 2), 30 s without one", () => {
    expect(heartbeatInterval(500)).toBe(1_000);
    expect(heartbeatInterval(60_000)).toBe(30_000);
    expect(heartbeatInterval(undefined)).toBe(30_000);
  });
});
