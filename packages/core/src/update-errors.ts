/**
 * What `client.update` throws when the update gave no result (updates.ts,
 * docs/talking-to-executions.md#updates). Each has a stable `code` and an `is()` guard;
 * the ones the worker journals (UpdateRejected) come back through the ErrorRegistry.
 */
import { guard, SteplineError } from "./errors.js";

const DOCS = "docs/talking-to-executions.md#updates";

/**
 * The execution's code has no `ctx.onUpdate` handler of this name where the request
 * reached it: it never registers one, or registers it later than the execution has come.
 * Nothing ran.
 *
 * @example
 * if (UpdateNotFoundError.is(error)) console.log(error.registered); // ["approve"]
 */
export class UpdateNotFoundError extends SteplineError {
  override readonly code = "STEPLINE_UPDATE_NOT_FOUND";
  override name = "UpdateNotFoundError";
  readonly executionId: string;
  readonly update: string;
  /** The names the code had registered there. */
  readonly registered: string[];
  constructor(executionId: string, update: string, registered: string[]) {
    super(
      `Execution "${executionId}" has no update handler "${update}" ` +
        (registered.length > 0
          ? `(registered: ${registered.join(", ")}). `
          : "(its code has registered none by the point the execution has reached). ") +
        `Register it with ctx.onUpdate("${update}", async (args) => result) in the workflow body, before ` +
        `the point the execution has reached; nothing was written. See ${DOCS}.`,
    );
    this.executionId = executionId;
    this.update = update;
    this.registered = registered;
  }
  static override is = guard<UpdateNotFoundError>("STEPLINE_UPDATE_NOT_FOUND");
}

/**
 * The update's validator threw (`cause` is what it threw): the request was refused
 * and its handler did not run. Thrown before anything is written when `client.update`
 * validates; journaled as UpdateRejected when the validator refuses it where the
 * worker delivers it.
 *
 * @example
 * try { await client.update(id, "addItem", { qty: -1 }); }
 * catch (error) { if (UpdateRejectedError.is(error)) console.log(error.cause); }
 */
export class UpdateRejectedError extends SteplineError {
  override readonly code = "STEPLINE_UPDATE_REJECTED";
  override name = "UpdateRejectedError";
  readonly executionId: string;
  readonly update: string;
  constructor(executionId: string, update: string, cause?: unknown) {
    super(
      `Update "${update}" of execution "${executionId}" was rejected by its validator: ${describeThrown(cause)}. ` +
        "Its handler did not run and the execution is not affected; send valid arguments.",
      cause === undefined ? undefined : { cause },
    );
    this.executionId = executionId;
    this.update = update;
  }
  static override is = guard<UpdateRejectedError>("STEPLINE_UPDATE_REJECTED");
}

/**
 * The update's handler threw (`cause`, rebuilt from the journal). The execution goes
 * on: an update handler's failure is the caller's, not the workflow's.
 *
 * @example
 * if (UpdateFailedError.is(error)) console.log(error.cause.message);
 */
export class UpdateFailedError extends SteplineError {
  override readonly code = "STEPLINE_UPDATE_FAILED";
  override name = "UpdateFailedError";
  readonly executionId: string;
  readonly update: string;
  constructor(executionId: string, update: string, cause: unknown) {
    super(
      `Update "${update}" of execution "${executionId}" failed: its handler threw ${describeThrown(cause)}. ` +
        "The execution goes on; the handler's steps that completed stay journaled.",
      { cause },
    );
    this.executionId = executionId;
    this.update = update;
  }
  static override is = guard<UpdateFailedError>("STEPLINE_UPDATE_FAILED");
}

/**
 * The execution ended (or its run continued as new) before the update's handler
 * returned, or before the request reached its code. `accepted` says whether the
 * handler had started: its completed steps stay journaled.
 *
 * @example
 * if (UpdateNotCompletedError.is(error) && !error.accepted) await client.update(next, "approve", args);
 */
export class UpdateNotCompletedError extends SteplineError {
  override readonly code = "STEPLINE_UPDATE_NOT_COMPLETED";
  override name = "UpdateNotCompletedError";
  readonly executionId: string;
  readonly update: string;
  readonly accepted: boolean;
  constructor(executionId: string, update: string, ended: string, accepted: boolean) {
    super(
      `Update "${update}" of execution "${executionId}" did not complete: the execution ${ended} ` +
        (accepted
          ? "while its handler was still running. Make the workflow wait for its handlers before it returns " +
            "(await ctx.allUpdatesFinished())."
          : "before the request reached its code; nothing ran.") +
        ` See ${DOCS}.`,
    );
    this.executionId = executionId;
    this.update = update;
    this.accepted = accepted;
  }
  static override is = guard<UpdateNotCompletedError>("STEPLINE_UPDATE_NOT_COMPLETED");
}

function describeThrown(thrown: unknown): string {
  if (thrown instanceof Error) return `${thrown.name}: ${thrown.message}`;
  return String(thrown);
}
