/**
 * Errors about executions as the client and the store see them: not found, already
 * there, finished, not finished, blocked, refused a redrive, moved under the caller,
 * past its history limits, of a workflow nobody registered.
 */
import { guard, SteplineError } from "./errors.js";

/** `client.start(..., { ifExists: "fail" })` found an execution with that id. */
export class ExecutionAlreadyExistsError extends SteplineError {
  override readonly code = "STEPLINE_EXECUTION_EXISTS";
  override name = "ExecutionAlreadyExistsError";
  readonly executionId: string;
  constructor(executionId: string, message: string) {
    super(message);
    this.executionId = executionId;
  }
  static override is = guard<ExecutionAlreadyExistsError>("STEPLINE_EXECUTION_EXISTS");
}

/** No execution has this id. */
export class ExecutionNotFoundError extends SteplineError {
  override readonly code = "STEPLINE_EXECUTION_NOT_FOUND";
  override name = "ExecutionNotFoundError";
  readonly executionId: string;
  constructor(executionId: string) {
    super(
      `No execution with id "${executionId}" exists in this store. ` +
        "Check the id (client.list() shows the executions) and that client and worker use the same store.",
    );
    this.executionId = executionId;
  }
  static override is = guard<ExecutionNotFoundError>("STEPLINE_EXECUTION_NOT_FOUND");
}

/** An event or cancellation was sent to an execution that has already ended. */
export class ExecutionFinishedError extends SteplineError {
  override readonly code = "STEPLINE_EXECUTION_FINISHED";
  override name = "ExecutionFinishedError";
  readonly executionId: string;
  readonly status: string;
  constructor(executionId: string, status: string, action: string) {
    super(
      `Cannot ${action} execution "${executionId}": it has already ${status}. ` +
        "Events and cancellations only reach executions that are still running, sleeping, waiting or blocked; " +
        "its result and journal stay readable (client.result, client.history).",
    );
    this.executionId = executionId;
    this.status = status;
  }
  static override is = guard<ExecutionFinishedError>("STEPLINE_EXECUTION_FINISHED");
}

/**
 * `client.redrive` (or `executions.redrive`) was refused: only a failed execution can
 * be redriven. The message says what to do instead for each status; nothing was written.
 */
export class RedriveRefusedError extends SteplineError {
  override readonly code = "STEPLINE_REDRIVE_REFUSED";
  override name = "RedriveRefusedError";
  readonly executionId: string;
  /** The status the execution has, or "failed" when its journal moved meanwhile. */
  readonly status: string;
  constructor(executionId: string, status: string, detail?: string) {
    super(`Cannot redrive execution "${executionId}": ${redriveAdvice(status, detail)}`);
    this.executionId = executionId;
    this.status = status;
  }
  static override is = guard<RedriveRefusedError>("STEPLINE_REDRIVE_REFUSED");
}

function redriveAdvice(status: string, detail: string | undefined): string {
  switch (status) {
    case "succeeded":
      return "it has succeeded; there is nothing to redrive. Start a new execution to run the workflow again.";
    case "cancelled":
      return "it was cancelled, and a cancelled execution is not redriven. Start a new execution instead.";
    case "blocked":
      return (
        `it is blocked${detail ? ` (${detail})` : ""}, not failed. Deploy code that matches its journal, ` +
        "then resume it with client.resume(id)."
      );
    case "failed":
      return `${detail ?? "its journal changed while redrive was being written"}. Try again.`;
    default:
      return `it is ${status}, not failed: it has not ended. Redrive continues a failed execution only; wait for it to end (result()).`;
  }
}

/** A workflow name that no worker of this engine registers. */
export class UnknownWorkflowError extends SteplineError {
  override readonly code = "STEPLINE_UNKNOWN_WORKFLOW";
  override name = "UnknownWorkflowError";
  readonly workflow: string;
  constructor(workflow: string, known: readonly string[]) {
    super(
      `No workflow named "${workflow}" is registered` +
        (known.length > 0 ? ` (registered: ${known.join(", ")})` : "") +
        ". Pass the workflow definition to engine.worker({ workflows: [...] }) or createEngine({ workflows: [...] }).",
    );
    this.workflow = workflow;
  }
  static override is = guard<UnknownWorkflowError>("STEPLINE_UNKNOWN_WORKFLOW");
}

/**
 * `result()` of an execution that is parked as `blocked`: it will not move until it is
 * resumed, so waiting for it would only end in a timeout. `reason` is what parked it
 * (a NonDeterminismError's message, an unreadable journal entry, ...).
 *
 * @example
 * try {
 *   await run.result();
 * } catch (error) {
 *   if (ExecutionBlockedError.is(error)) console.error(error.reason); // deploy a fix, then client.resume(run.id)
 * }
 */
export class ExecutionBlockedError extends SteplineError {
  override readonly code = "STEPLINE_EXECUTION_BLOCKED";
  override name = "ExecutionBlockedError";
  readonly executionId: string;
  readonly reason: string | null;
  constructor(executionId: string, reason: string | null) {
    super(
      `Execution "${executionId}" is blocked and will not move until it is resumed. ` +
        `Reason: ${reason ?? "none recorded"} ` +
        `To continue it, deploy code that matches its journal (or fix what the reason names), then call ` +
        `client.resume("${executionId}") (or \`stepline resume ${executionId}\`) and wait for result() again. ` +
        "See docs/determinism.md.",
    );
    this.executionId = executionId;
    this.reason = reason;
  }
  static override is = guard<ExecutionBlockedError>("STEPLINE_EXECUTION_BLOCKED");
}

/**
 * A write that was encoded for one journal length found another: the journal moved
 * between the read and the write (a worker appended meanwhile). Nothing was written.
 * `client.terminate` reads the journal length again and retries; a caller of
 * `executions.terminate` does the same.
 *
 * @example
 * try {
 *   await store.executions.terminate(id, { expectedSeq: 7, event }, now);
 * } catch (error) {
 *   if (JournalMovedError.is(error)) console.log(`the journal now has ${error.journalLength} entries`);
 * }
 */
export class JournalMovedError extends SteplineError {
  override readonly code = "STEPLINE_JOURNAL_MOVED";
  override name = "JournalMovedError";
  readonly executionId: string;
  /** The journal length the write was encoded for. */
  readonly expectedSeq: number;
  /** The journal length the store found. */
  readonly journalLength: number;
  constructor(executionId: string, action: string, expectedSeq: number, journalLength: number) {
    super(
      `Cannot ${action} execution "${executionId}": the write was made for a journal of ${expectedSeq} ` +
        `entries, and it has ${journalLength} (a worker appended meanwhile). Nothing was written; ` +
        "read the execution again and retry.",
    );
    this.executionId = executionId;
    this.expectedSeq = expectedSeq;
    this.journalLength = journalLength;
  }
  static override is = guard<JournalMovedError>("STEPLINE_JOURNAL_MOVED");
}

/**
 * `client.delete` (or `executions.delete`) of an execution that has not finished:
 * only a succeeded, failed, cancelled, terminated or timed-out execution can be
 * deleted. Nothing was deleted.
 *
 * @example
 * try {
 *   await client.delete("order-1");
 * } catch (error) {
 *   if (ExecutionNotFinishedError.is(error)) await client.terminate("order-1", { reason: "cleanup" });
 * }
 */
export class ExecutionNotFinishedError extends SteplineError {
  override readonly code = "STEPLINE_EXECUTION_NOT_FINISHED";
  override name = "ExecutionNotFinishedError";
  readonly executionId: string;
  /** Its status: running, sleeping, waiting or blocked. */
  readonly status: string;
  constructor(executionId: string, status: string, action = "delete") {
    super(
      `Cannot ${action} execution "${executionId}": it is ${status}, and only finished executions can be ` +
        `${action === "delete" ? "deleted" : action}. Cancel it (client.cancel, \`stepline cancel\`) or ` +
        "terminate it (client.terminate, `stepline terminate`) first. See docs/operations.md.",
    );
    this.executionId = executionId;
    this.status = status;
  }
  static override is = guard<ExecutionNotFinishedError>("STEPLINE_EXECUTION_NOT_FINISHED");
}

/**
 * An execution's journal reached a hard history limit (`createEngine({ historyLimits })`):
 * the execution failed with this error, written as its last journal entry. `limit` says
 * which one (`"events"` or `"bytes"`), `max` its value and `reached` what the journal
 * would have had with the refused append. End long runs with `ctx.continueAsNew(input)`.
 *
 * @example
 * try {
 *   await engine.client.result(id);
 * } catch (error) {
 *   if (HistoryLimitError.is(error)) console.log(error.limit, error.max); // "events" 50000
 * }
 */
export class HistoryLimitError extends SteplineError {
  override readonly code = "STEPLINE_HISTORY_LIMIT";
  override name = "HistoryLimitError";
  readonly executionId: string;
  readonly limit: "events" | "bytes";
  readonly max: number;
  readonly reached: number;
  constructor(executionId: string, limit: "events" | "bytes", max: number, reached: number) {
    const what = limit === "events" ? `${max} events` : `${max} bytes of encoded journal`;
    const has = limit === "events" ? `${reached} events` : `${reached} bytes`;
    super(
      `Execution "${executionId}" reached its history limit of ${what} (the next append would take it to ${has}), ` +
        "so it failed: a journal that long makes every replay slow. End each run of a long loop with " +
        "`return ctx.continueAsNew(input)` to go on with a fresh journal, or raise createEngine({ historyLimits: " +
        `{ ${limit === "events" ? "maxEvents" : "maxBytes"} } }). See docs/continue-as-new.md.`,
    );
    this.executionId = executionId;
    this.limit = limit;
    this.max = max;
    this.reached = reached;
  }
  static override is = guard<HistoryLimitError>("STEPLINE_HISTORY_LIMIT");
}
