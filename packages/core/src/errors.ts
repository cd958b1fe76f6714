/**
 * Every error Stepline throws or records. Each class has a stable `code`, sets
 * `name`, and has a static `is()` guard that works across duplicate package copies
 * (where `instanceof` does not).
 *
 * The split that matters: {@link TerminalError} stops retries, anything else thrown
 * by a step is retried by its policy; engine errors ({@link NonDeterminismError},
 * {@link CorruptJournalError}) park the execution as `blocked` instead of failing it.
 */

/** Base class of all Stepline errors. `code` is stable across releases. */
export class SteplineError extends Error {
  readonly code: string = "STEPLINE_ERROR";
  override name = "SteplineError";

  /** True for any Stepline error, from any copy of this package. */
  static is(value: unknown): value is SteplineError {
    const code = (value as { code?: unknown } | null)?.code;
    return value instanceof Error && typeof code === "string" && code.startsWith("STEPLINE_");
  }
}

/** The `is()` guard of an error class with this `code` (works across package copies). */
export function guard<T extends SteplineError>(code: string) {
  return (value: unknown): value is T =>
    value instanceof Error && (value as { code?: unknown }).code === code;
}

/**
 * Thrown by a step to say "do not retry": the step fails at once with this error.
 *
 * @example
 * await ctx.step("charge", async () => {
 *   const res = await payments.charge(order);
 *   if (res.declined) throw new TerminalError(`card declined: ${res.reason}`);
 *   return res.id;
 * });
 */
export class TerminalError extends SteplineError {
  override readonly code = "STEPLINE_TERMINAL";
  override name = "TerminalError";
  static override is = guard<TerminalError>("STEPLINE_TERMINAL");
}

/**
 * Thrown by a step to ask for a retry, optionally after a given delay that overrides
 * the policy's backoff for this attempt. A `retryAfter` that is not a valid duration
 * (negative, not finite, over 10 years, unparsable) is ignored: the policy's delay is
 * used. `maxAttempts` still applies.
 *
 * @example
 * throw new RetryableError("rate limited", { retryAfter: "30s" });
 */
export class RetryableError extends SteplineError {
  override readonly code = "STEPLINE_RETRYABLE";
  override name = "RetryableError";
  readonly retryAfter: number | string | undefined;
  constructor(message: string, options: { retryAfter?: number | string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.retryAfter = options.retryAfter;
  }
  static override is = guard<RetryableError>("STEPLINE_RETRYABLE");
}

/** What a replay found in the journal against what the code asked for. */
export interface NonDeterminismDetail {
  executionId: string;
  op: number;
  recorded: string;
  requested: string;
  /**
   * True when the workflow function replaying the journal has the source of the one
   * that started the execution (ExecutionStarted `codeHash`): the message then names
   * non-deterministic code, not a code change, as the likely cause.
   */
  sameCode?: boolean;
}

const CHANGED_CODE_HINT =
  "Changing the order, names or number of operations of a running workflow breaks replay; " +
  'keep the old code path for executions started before the change behind `if (ctx.patched("change-id"))` ' +
  "(docs/versioning.md), or give the workflow a new name. ";

const SAME_CODE_HINT =
  "The workflow function is the code that started this execution, so the likely cause is code that " +
  "does not replay the same way: a clock (Date.now(), new Date()), randomness (Math.random(), " +
  "crypto.randomUUID()), I/O or state kept outside the journal, read in the workflow body outside a step. " +
  "Use ctx.now(), ctx.random(), ctx.ulid() and ctx.step (a changed helper function it calls is the other cause). ";

/**
 * The workflow code no longer matches its journal: replay asked for a different
 * operation (or none) at a recorded op index. The execution is parked as `blocked`
 * and nothing is appended; deploy code that matches, or start a new execution.
 */
export class NonDeterminismError extends SteplineError {
  override readonly code = "STEPLINE_NON_DETERMINISM";
  override name = "NonDeterminismError";
  readonly executionId: string;
  readonly op: number;
  readonly recorded: string;
  readonly requested: string;
  constructor(detail: NonDeterminismDetail) {
    super(
      `Execution ${detail.executionId} no longer matches its journal at op ${detail.op}: ` +
        `the journal has ${detail.recorded}, the code asked for ${detail.requested}. ` +
        (detail.sameCode ? SAME_CODE_HINT : CHANGED_CODE_HINT) +
        "See docs/determinism.md in the Stepline repository.",
    );
    this.executionId = detail.executionId;
    this.op = detail.op;
    this.recorded = detail.recorded;
    this.requested = detail.requested;
  }
  static override is = guard<NonDeterminismError>("STEPLINE_NON_DETERMINISM");
}

/** A step attempt, an event wait or a `result()` call ran out of time. */
export class TimeoutError extends SteplineError {
  override readonly code = "STEPLINE_TIMEOUT";
  override name = "TimeoutError";
  static override is = guard<TimeoutError>("STEPLINE_TIMEOUT");
}

/**
 * The execution was cancelled (`client.cancel`). Inside the workflow, every operation
 * pending when the cancellation is delivered rejects with it; `result()` of an
 * execution that ended `cancelled` rejects with it. `reason` is the one given to
 * `client.cancel`. See docs/cancellation.md.
 *
 * @example
 * try {
 *   await ctx.step("ship", () => ship(order));
 * } catch (error) {
 *   if (CancelledError.is(error)) await ctx.step("release-stock", () => release(order));
 *   throw error; // ends the execution as cancelled
 * }
 */
export class CancelledError extends SteplineError {
  override readonly code = "STEPLINE_CANCELLED";
  override name = "CancelledError";
  /** The reason given to `client.cancel`, if any. */
  readonly reason?: string;
  constructor(message: string, reason?: string) {
    super(message);
    if (reason !== undefined) this.reason = reason;
  }
  static override is = guard<CancelledError>("STEPLINE_CANCELLED");
}

/** A bad argument to the public API (a duration that does not parse, say). */
export class InvalidArgumentError extends SteplineError {
  override readonly code = "STEPLINE_INVALID_ARGUMENT";
  override name = "InvalidArgumentError";
  static override is = guard<InvalidArgumentError>("STEPLINE_INVALID_ARGUMENT");
}
