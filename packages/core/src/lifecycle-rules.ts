import { ExecutionFinishedError, ExecutionNotFinishedError, JournalMovedError } from "./execution-errors.js";
import { type CountFilter, type ExecutionRecord, type ExecutionStatus, TERMINAL_STATUSES } from "./store.js";

/**
 * The store rules of the lifecycle methods (terminate, delete, count, retention),
 * part of `storeRules` (memory-store.ts) so that every store applies the same ones;
 * the Lua scripts of @stepline/redis mirror them (terminate-execution.lua,
 * delete-execution.lua) and the conformance suite checks that they agree.
 */
export const lifecycleRules = {
  /**
   * The record after `executions.terminate`: terminated, nothing due, no lease owner
   * and a new fencing token (so the old holder's next write is refused even before it
   * reads the status), the event appended. Throws ExecutionFinishedError for a finished
   * execution and JournalMovedError when `expectedSeq` is given and is not the length.
   */
  terminated(record: ExecutionRecord, expectedSeq: number | undefined, now: number): ExecutionRecord {
    if (TERMINAL_STATUSES.has(record.status)) {
      throw new ExecutionFinishedError(record.id, record.status, "terminate");
    }
    if (expectedSeq !== undefined && expectedSeq !== record.journalLength) {
      throw new JournalMovedError(record.id, "terminate", expectedSeq, record.journalLength);
    }
    return {
      ...record,
      status: "terminated",
      dueAt: null,
      leaseOwner: null,
      token: record.token + 1,
      cancelRequested: null,
      blockedReason: null,
      journalLength: record.journalLength + 1,
      updatedAt: now,
    };
  },
  /** Checks that `record` may be deleted: throws ExecutionNotFinishedError unless it is finished. */
  checkDeletable(record: ExecutionRecord): void {
    if (!TERMINAL_STATUSES.has(record.status)) throw new ExecutionNotFinishedError(record.id, record.status);
  },
  /**
   * When the execution finished (the finish-time index's key), or null while it runs:
   * `updatedAt` of a terminal record, which nothing changes afterwards (a redrive makes
   * it running again, and leaves the index).
   */
  finishedAt(record: ExecutionRecord): number | null {
    return TERMINAL_STATUSES.has(record.status) ? record.updatedAt : null;
  },
  /** Oldest finish first, then by id (UTF-16 order): the order of `pruneFinished`. */
  compareFinishedFirst(a: ExecutionRecord, b: ExecutionRecord): number {
    return a.updatedAt - b.updatedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  },
  /** True when `record` is counted by `filter`. */
  counted(record: { status: ExecutionStatus; workflow: string }, filter: CountFilter): boolean {
    return (
      (filter.status === undefined || record.status === filter.status) &&
      (filter.workflow === undefined || record.workflow === filter.workflow)
    );
  },
};
