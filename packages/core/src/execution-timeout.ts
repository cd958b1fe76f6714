/**
 * The execution timeout (`client.start(def, input, { executionTimeout })`, Step
 * Functions' TimeoutSeconds). `client.start` records the deadline as `timeoutAt` in
 * ExecutionStarted; the runner that holds the execution at or after it journals
 * ExecutionTimedOut and releases it as `timed_out`, whatever it was doing:
 *
 * - no workflow code runs after the deadline: a runner that claims a timed-out
 *   execution ends it before replaying it, and a running one checks the deadline each
 *   round before it delivers anything;
 * - a sleeping or waiting execution is released with a due time no later than
 *   `timeoutAt`, so a worker claims it then (the deadline is one more due time of the
 *   run: ARCHITECTURE.md invariant 4);
 * - running step bodies have their signals aborted with the TimeoutError;
 * - children still running get their cancellation requested, as for a cancelled parent.
 *
 * Deterministic: the deadline is journaled, and the decision "timed out" is journaled
 * too (the ExecutionTimedOut event), so nothing is recomputed on replay.
 */
import type { EngineEnv } from "./engine-env.js";
import { SteplineError, TimeoutError } from "./errors.js";
import type { EventOfType, JournalEvent, NewEvent } from "./events.js";

/** The deadline of one execution, from its ExecutionStarted. */
export class ExecutionTimeout {
  /** Epoch ms of the deadline; undefined for an execution without executionTimeout. */
  readonly timeoutAt: number | undefined;
  /** The executionTimeout it was started with, in ms. */
  readonly timeoutMs: number;

  constructor(started: EventOfType<"ExecutionStarted">) {
    this.timeoutAt = started.timeoutAt;
    this.timeoutMs = started.timeoutAt === undefined ? 0 : started.timeoutAt - started.at;
  }

  /** True once `now` is at or past the deadline. */
  reached(now: number): boolean {
    return this.timeoutAt !== undefined && now >= this.timeoutAt;
  }

  /** The earlier of `dueAt` and the deadline: a release or a wake-up never sleeps past it. */
  earliest(dueAt: number | null): number | null {
    if (this.timeoutAt === undefined) return dueAt;
    return dueAt === null ? this.timeoutAt : Math.min(dueAt, this.timeoutAt);
  }

  /** The terminal event. */
  event(): NewEvent {
    return { type: "ExecutionTimedOut", timeoutMs: this.timeoutMs };
  }

  /** What `result()` rejects with, and running steps' signals are aborted with. */
  error(executionId: string): TimeoutError {
    return timedOutError(executionId, this.timeoutMs);
  }
}

/** The error of an execution that ended with ExecutionTimedOut. */
export function timedOutError(executionId: string, timeoutMs: number): TimeoutError {
  return new TimeoutError(
    `Execution "${executionId}" timed out after its executionTimeout of ${timeoutMs} ms.`,
  );
}

/** Child executions of a journal that are started and have no completion yet. */
export function openChildren(journal: readonly JournalEvent[]): { childId: string }[] {
  const open = new Map<number, string>();
  for (const event of journal) {
    if (event.type === "ChildStarted") open.set(event.op, event.childId);
    else if (event.type === "ChildSucceeded" || event.type === "ChildFailed") open.delete(event.op);
  }
  return [...open.values()].map((childId) => ({ childId }));
}

/**
 * Requests cancellation of a timed-out parent's children (the cancel path of a
 * cancelled parent). A child that has ended or is gone needs nothing.
 */
export async function cancelChildrenOfTimedOut(
  env: EngineEnv,
  parentId: string,
  children: readonly { childId: string }[],
): Promise<void> {
  const now = env.clock.now();
  const reason = `the parent "${parentId}" timed out`;
  await Promise.all(
    children.map(async ({ childId }) => {
      try {
        await env.store.executions.requestCancel(childId, reason, now);
        env.notifyCancel(childId, reason);
      } catch (error) {
        if (!SteplineError.is(error)) throw error;
      }
    }),
  );
}
