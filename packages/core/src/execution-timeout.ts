import { TimeoutError } from "./errors.js";
import type { EventOfType, NewEvent } from "./events.js";

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

/** The `timeoutAt` of a new execution started at `now` with `executionTimeout` of `ms` (none: undefined). */
export function timeoutAtFor(now: number, ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : now + ms;
}
