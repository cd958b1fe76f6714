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

/** A value cannot be journaled: MessagePack cannot encode it faithfully. */
export class SerializationError extends SteplineError {
  override readonly code = "STEPLINE_SERIALIZATION";
  override name = "SerializationError";
  readonly path: string;
  constructor(what: string, path: string, problem: string) {
    super(
      `${what} cannot be journaled: ${problem} at ${path}. ` +
        "Journaled values must be plain data: objects, arrays, strings, numbers, booleans, null, Date and Uint8Array.",
    );
    this.path = path;
  }
  static override is = guard<SerializationError>("STEPLINE_SERIALIZATION");
}

/** An encoded event is larger than the store's per-event limit. */
export class PayloadTooLargeError extends SteplineError {
  override readonly code = "STEPLINE_PAYLOAD_TOO_LARGE";
  override name = "PayloadTooLargeError";
  readonly bytes: number;
  readonly limit: number;
  constructor(what: string, bytes: number, limit: number) {
    super(
      `${what} is ${bytes} bytes encoded, above the limit of ${limit} bytes per journal event. ` +
        "Store large data elsewhere (a blob store) and journal a reference, or raise maxEventBytes in createEngine().",
    );
    this.bytes = bytes;
    this.limit = limit;
  }
  static override is = guard<PayloadTooLargeError>("STEPLINE_PAYLOAD_TOO_LARGE");
}

/** A journal entry could not be decoded; the execution is parked as `blocked`. */
export class CorruptJournalError extends SteplineError {
  override readonly code = "STEPLINE_CORRUPT_JOURNAL";
  override name = "CorruptJournalError";
  readonly executionId: string;
  readonly seq: number;
  constructor(executionId: string, seq: number, problem: string) {
    super(
      `Journal entry ${seq} of execution "${executionId}" is unreadable (${problem}). ` +
        "The execution is parked as blocked; export its journal for a bug report.",
    );
    this.executionId = executionId;
    this.seq = seq;
  }
  static override is = guard<CorruptJournalError>("STEPLINE_CORRUPT_JOURNAL");
}

/**
 * The store refused a write made under a lease that is no longer current: another
 * worker claimed the execution (its fencing token is newer). The stale worker must
 * drop the execution; nothing it tried to write was written.
 */
export class LeaseLostError extends SteplineError {
  override readonly code = "STEPLINE_LEASE_LOST";
  override name = "LeaseLostError";
  readonly executionId: string;
  constructor(executionId: string, detail: string) {
    super(`Lease on execution "${executionId}" is no longer held: ${detail}.`);
    this.executionId = executionId;
  }
  static override is = guard<LeaseLostError>("STEPLINE_LEASE_LOST");
}

/** A bad argument to the public API (a duration that does not parse, say). */
export class InvalidArgumentError extends SteplineError {
  override readonly code = "STEPLINE_INVALID_ARGUMENT";
  override name = "InvalidArgumentError";
  static override is = guard<InvalidArgumentError>("STEPLINE_INVALID_ARGUMENT");
}

/**
 * The engine was closed (`engine.close()`): its store is closed, so the client can
 * neither start nor look at executions. Create a new engine on the store to go on.
 *
 * @example
 * await engine.close();
 * await engine.client.start(greet, "Ada"); // rejects with EngineClosedError
 */
export class EngineClosedError extends SteplineError {
  override readonly code = "STEPLINE_ENGINE_CLOSED";
  override name = "EngineClosedError";
  constructor(action: string) {
    super(
      `Cannot ${action}: this engine was closed (engine.close()), and its store with it. ` +
        "Close the engine only after the last call to its client and workers, or create a new engine.",
    );
  }
  static override is = guard<EngineClosedError>("STEPLINE_ENGINE_CLOSED");
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
 * An engine was created or a worker started while a tool imported workflow modules
 * only to read their definitions: the module has top-level code that runs work.
 */
export class DefinitionsOnlyError extends SteplineError {
  override readonly code = "STEPLINE_DEFINITIONS_ONLY";
  override name = "DefinitionsOnlyError";
  constructor(what: string, loader: string) {
    super(
      `${what} was called while ${loader} imported workflow modules to read their definitions: a module it ` +
        "imports creates an engine or starts a worker at its top level, which would run real steps. Point it at " +
        "a module that only defines workflows (export them from a file of their own; create engines and " +
        "workers in your service's entry point).",
    );
  }
  static override is = guard<DefinitionsOnlyError>("STEPLINE_DEFINITIONS_ONLY");
}

/**
 * A store could not be opened: the path is not usable (a file where a directory
 * belongs, a directory this process may not write, a read-only file system, no store
 * at all for a read-only open). The message names the path, what went wrong and the
 * fix; `cause` holds the underlying error.
 *
 * @example
 * try { lmdbStore("/var/lib/app/.stepline"); } catch (error) {
 *   if (StoreOpenError.is(error)) console.error(error.path, error.message);
 * }
 */
export class StoreOpenError extends SteplineError {
  override readonly code = "STEPLINE_STORE_OPEN";
  override name = "StoreOpenError";
  /** The store's path (or address) as given. */
  readonly path: string;
  constructor(path: string, problem: string, fix: string, options: { cause?: unknown } = {}) {
    super(`Cannot open the store at "${path}": ${problem}. ${fix}`, options);
    this.path = path;
  }
  static override is = guard<StoreOpenError>("STEPLINE_STORE_OPEN");
}

/**
 * A write to a store opened read-only (`lmdbStore(path, { readOnly: true })`, as the
 * CLI's read commands open it): nothing was written.
 *
 * @example
 * const store = lmdbStore(".stepline", { readOnly: true });
 * await createEngine({ store }).client.start(greet, "Ada"); // rejects with StoreReadOnlyError
 */
export class StoreReadOnlyError extends SteplineError {
  override readonly code = "STEPLINE_STORE_READ_ONLY";
  override name = "StoreReadOnlyError";
  /** The store's path as given. */
  readonly path: string;
  constructor(path: string) {
    super(
      `The store at "${path}" was opened read-only, and this call writes; nothing was written. ` +
        "Open it without { readOnly: true } to start, send to or change executions.",
    );
    this.path = path;
  }
  static override is = guard<StoreReadOnlyError>("STEPLINE_STORE_READ_ONLY");
}

// --- Lifecycle: terminate, delete (issue 10 item 1 and 7) ---------------------------

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
