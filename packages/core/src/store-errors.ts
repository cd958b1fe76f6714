/**
 * Errors of what the engine keeps and the processes that keep it: values that cannot
 * be journaled, unreadable entries, lost leases, a store that cannot be opened or is
 * read-only, an engine closed or loading definitions only.
 */
import { guard, SteplineError } from "./errors.js";

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
