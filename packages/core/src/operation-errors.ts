/**
 * Errors of operations that ended badly: a step failed for good or was interrupted too
 * often, a child or a map failed, compensation steps failed. Each carries what a
 * catch needs (`cause`, failures). Base class and guards: errors.ts.
 */
import { guard, SteplineError, TerminalError } from "./errors.js";

/**
 * One undo step of `saga.run({ continueOnError: true })` that failed.
 *
 * @example
 * // CompensationError.failures:
 * [{ step: "refund", name: "TerminalError", message: "payment provider down" }]
 */
export interface CompensationFailure {
  /** The undo step's name, as given to `saga.add`. */
  step: string;
  /** The error's name and message (a StepFailedError's cause is the body's error). */
  name: string;
  message: string;
}

/**
 * `saga.run({ continueOnError: true })` ran every undo step and some failed: one
 * error listing them all (`failures`, in the order they ran); `cause` is the first.
 *
 * @example
 * try {
 *   await saga.run({ continueOnError: true });
 * } catch (error) {
 *   if (CompensationError.is(error)) ctx.log.error("undo incomplete", { failed: error.failures });
 *   throw error;
 * }
 */
export class CompensationError extends SteplineError {
  override readonly code = "STEPLINE_COMPENSATION";
  override name = "CompensationError";
  readonly failures: CompensationFailure[];
  constructor(failures: CompensationFailure[], first?: unknown) {
    super(
      `${failures.length} compensation step${failures.length === 1 ? "" : "s"} failed: ` +
        `${failures.map((f) => `"${f.step}" (${f.message})`).join(", ")}. The other undo steps ran. ` +
        "Fix the cause and run the failed undo steps by hand, or redrive the execution if it failed.",
      first === undefined ? undefined : { cause: first },
    );
    this.failures = failures;
  }
  static override is = guard<CompensationError>("STEPLINE_COMPENSATION");
}

/**
 * A step failed for good: its retries are exhausted, or it threw a
 * {@link TerminalError} or a `nonRetryable` error. `cause` is the step's own error,
 * with the same class (for built-in and registered classes), name and message on
 * every replay.
 */
export class StepFailedError extends SteplineError {
  override readonly code = "STEPLINE_STEP_FAILED";
  override name = "StepFailedError";
  readonly step: string;
  readonly attempts: number;
  constructor(step: string, attempts: number, cause: unknown) {
    const reason = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super(`Step "${step}" failed after ${attempts} attempt${attempts === 1 ? "" : "s"}: ${reason}`, {
      cause,
    });
    this.step = step;
    this.attempts = attempts;
  }
  static override is = guard<StepFailedError>("STEPLINE_STEP_FAILED");
}

/**
 * A child execution started with `ctx.child` failed or was cancelled; `cause` is its
 * error (a CancelledError when it was cancelled).
 */
export class ChildFailedError extends SteplineError {
  override readonly code = "STEPLINE_CHILD_FAILED";
  override name = "ChildFailedError";
  readonly childId: string;
  readonly workflow: string;
  constructor(workflow: string, childId: string, cause: unknown) {
    const reason = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super(`Child workflow "${workflow}" (execution "${childId}") failed: ${reason}`, { cause });
    this.workflow = workflow;
    this.childId = childId;
  }
  static override is = guard<ChildFailedError>("STEPLINE_CHILD_FAILED");
}

/**
 * One failed item of a `ctx.map`: its index in the items and what its callback threw.
 *
 * @example
 * for (const { index, error } of mapError.failures) ctx.log.warn("item failed", { index, error: String(error) });
 */
export interface MapItemFailure {
  index: number;
  error: unknown;
}

/**
 * A `ctx.map` failed: an item's callback threw (without `toleratedFailures`), or more
 * items failed than `toleratedFailures` allows. No item is started after it; items in
 * flight then are abandoned (`inFlight`, see docs/map.md). `cause` is the error of the
 * item at `index`, the failure that failed the map.
 *
 * @example
 * try {
 *   await ctx.map("fetch-all", urls, (ctx, url) => ctx.step("fetch", () => get(url)), { concurrency: 5 });
 * } catch (error) {
 *   if (MapFailedError.is(error)) ctx.log.warn("fetch failed", { items: error.failedItems });
 *   throw error;
 * }
 */
export class MapFailedError extends SteplineError {
  override readonly code = "STEPLINE_MAP_FAILED";
  override name = "MapFailedError";
  /** The map's name. */
  readonly map: string;
  /** The item whose failure failed the map. */
  readonly index: number;
  /**
   * Indexes of every item that had failed by then, ascending. Kept in the journal (a
   * list longer than `ERROR_LIMITS.dataValues` is dropped there).
   */
  readonly failedItems: number[];
  /** Indexes of the items that were still in flight: started, not settled. */
  readonly inFlight: number[];
  /**
   * The failures with their errors, in index order. Only in the workflow code: not
   * journaled, so an error rebuilt from the journal (`result()`) has `failedItems` and
   * `cause` instead.
   */
  declare readonly failures: readonly MapItemFailure[];
  constructor(detail: {
    map: string;
    index: number;
    cause: unknown;
    failures: readonly MapItemFailure[];
    inFlight: readonly number[];
    items: number;
    tolerated?: { option: number; count: number };
  }) {
    const failures = [...(detail.failures ?? [])].sort((a, b) => a.index - b.index);
    const reason = (error: unknown) =>
      error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const what = detail.tolerated
      ? `${failures.length} of ${detail.items} items failed (${listIndexes(failures.map((f) => f.index))}), ` +
        `more than the ${detail.tolerated.count} that toleratedFailures: ${detail.tolerated.option} allows; ` +
        `the last, item ${detail.index}, with ${reason(detail.cause)}`
      : `item ${detail.index} of ${detail.items} failed with ${reason(detail.cause)}`;
    super(
      `ctx.map("${detail.map}") failed: ${what}. No item was started after it; ${detail.inFlight?.length ?? 0} ` +
        "item(s) still in flight were abandoned. Catch errors inside the item callback to go on without an " +
        "item, or set toleratedFailures. See docs/map.md.",
      { cause: detail.cause },
    );
    this.map = detail.map;
    this.index = detail.index;
    this.failedItems = failures.map((f) => f.index);
    this.inFlight = [...(detail.inFlight ?? [])].sort((a, b) => a - b);
    Object.defineProperty(this, "failures", { value: failures, enumerable: false });
  }
  static override is = guard<MapFailedError>("STEPLINE_MAP_FAILED");
}

/** "1, 5, 9" or "1, 5, 9 and 40 more". */
function listIndexes(indexes: readonly number[]): string {
  const shown = indexes.slice(0, 10).join(", ");
  return indexes.length > 10 ? `items ${shown} and ${indexes.length - 10} more` : `items ${shown}`;
}

/**
 * A step's last allowed attempt was cut short: the worker running it stopped (crash,
 * kill, lost lease) before the attempt finished, and `retry.maxAttempts` allows no other.
 */
export class StepInterruptedError extends SteplineError {
  override readonly code = "STEPLINE_STEP_INTERRUPTED";
  override name = "StepInterruptedError";
  static override is = guard<StepInterruptedError>("STEPLINE_STEP_INTERRUPTED");
}
