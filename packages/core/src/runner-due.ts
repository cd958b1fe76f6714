/**
 * What an execution runner's round (execution-runner.ts) finds due by `now` without
 * any I/O: timers that fired and event waits that timed out, and when the loop must
 * look again. Both read only the replay engine's pending operations.
 */
import type { NewEvent } from "./events.js";
import type { WorkflowRun } from "./workflow-run.js";

/** Timers that are due and waits that timed out (a round that delivers an inbox event has none). */
export function dueCompletions(run: WorkflowRun, now: number): NewEvent[] {
  const completions: NewEvent[] = [];
  for (const timer of run.pendingTimers()) {
    if (timer.fireAt <= now) completions.push({ type: "TimerFired", op: timer.op });
  }
  for (const wait of run.pendingWaits()) {
    if (wait.timeoutAt !== undefined && wait.timeoutAt <= now) {
      completions.push({ type: "EventWaitTimedOut", op: wait.op });
    }
  }
  return completions;
}

/** When to look again: at `dueAt`, and at least every `pollInterval` while a wait may receive an event. */
export function lookAgainAt(
  run: WorkflowRun,
  dueAt: number | null,
  now: number,
  pollInterval: number,
): number | null {
  if (run.pendingWaits().length === 0) return dueAt;
  const poll = now + pollInterval;
  return dueAt === null ? poll : Math.min(dueAt, poll);
}
