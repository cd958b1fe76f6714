import { ExecutionFinishedError, JournalMovedError } from "./errors.js";
import { type ExecutionRecord, TERMINAL_STATUSES } from "./store.js";

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
};
