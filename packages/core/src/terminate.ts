import type { EngineEnv } from "./engine-env.js";
import { InvalidArgumentError } from "./errors.js";
import type { NewEvent } from "./events.js";
import { ExecutionNotFoundError, JournalMovedError } from "./execution-errors.js";
import { assertExecutionId } from "./identifiers.js";
import { applyParentClosePolicies } from "./parent-close-policy.js";
import type { ExecutionRecord } from "./store.js";

/** How often `client.terminate` reads the journal length again when a worker appended meanwhile. */
const TERMINATE_TRIES = 5;

/** Options of `client.terminate`. */
export interface TerminateOptions {
  /** Why; journaled in ExecutionTerminated, shown by `describe` and in `result()`'s error. */
  reason?: string;
}

/**
 * `client.terminate` (docs/operations.md, "Terminate"): appends ExecutionTerminated at
 * the journal's end and makes the execution `terminated` in one store write
 * (`executions.terminate`). No workflow code runs after it: the worker holding the
 * lease loses it (a new fencing token), and its running steps' signals abort, at once
 * in this engine and at the next lease renewal (`leaseMs / 3`) elsewhere. The event is
 * encoded for a seq, so a journal that moved between the read and the write is read
 * again (JournalMovedError, retried). The children it has open then get their
 * parentClosePolicy (parent-close-policy.ts). Returns the terminated record.
 */
export async function terminateExecution(
  env: EngineEnv,
  id: string,
  options: TerminateOptions = {},
): Promise<ExecutionRecord> {
  assertExecutionId(id, "client.terminate");
  if (options === null || typeof options !== "object") {
    throw new InvalidArgumentError("client.terminate(id, { reason }): the options must be an object.");
  }
  if (options.reason !== undefined && typeof options.reason !== "string") {
    throw new InvalidArgumentError(
      `client.terminate(id, { reason }): reason must be a string, not ${typeof options.reason}.`,
    );
  }
  for (let tries = 1; ; tries++) {
    env.assertOpen("client.terminate");
    const record = await env.store.executions.get(id);
    if (!record) throw new ExecutionNotFoundError(id);
    const now = env.clock.now();
    const body: NewEvent =
      options.reason === undefined
        ? { type: "ExecutionTerminated" }
        : { type: "ExecutionTerminated", reason: options.reason };
    const event = env.codec.encode(
      { ...body, seq: record.journalLength, at: now },
      `The ExecutionTerminated event of "${id}"`,
    );
    try {
      // A finished execution is refused by the store (ExecutionFinishedError), atomically.
      const terminated = await env.store.executions.terminate(
        id,
        { expectedSeq: record.journalLength, event },
        now,
      );
      env.notifyTerminated(id);
      env.wake();
      // Its open children get their parentClosePolicy, as on every other end (a terminated
      // child's own children in turn): read from the journal, since no code runs.
      const close = {
        parentId: id,
        ended: "terminated" as const,
        ...(options.reason === undefined ? {} : { reason: options.reason }),
      };
      await applyParentClosePolicies(env, await env.readJournal(id), close);
      return terminated;
    } catch (error) {
      if (!JournalMovedError.is(error) || tries >= TERMINATE_TRIES) throw error;
    }
  }
}
