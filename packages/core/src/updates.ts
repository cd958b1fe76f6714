/**
 * Updates (DESIGN.md section 9, docs/talking-to-executions.md#updates): the replay
 * engine's side. `client.update(id, name, args)` writes an inbox entry that carries an
 * update id (update-requests.ts); a worker, where the code waits, decides it:
 *
 * - `UpdateRejected` when the code has no `ctx.onUpdate(name)` handler there or its
 *   validator throws (the validator runs once, live; replay reads the verdict);
 * - else `UpdateAccepted { updateId, name, args, inboxSeq }`, which replay delivers
 *   like a completion, one macrotask after the one before it: the handler is called
 *   then, and the operations it issues take the next op indices, interleaved with the
 *   body's exactly as they were live (no op index of its own, as PatchApplied);
 * - `UpdateCompleted { updateId, result | error }` once the handler settles, proposed
 *   like any new event, and not again on replay (the ids completed are read up front).
 *
 * A duplicate request (same update id, sent twice by a retrying caller) is decided
 * once: the later entry is left alone.
 */
import { assertPlainData, type InboxEntry } from "./codec.js";
import type { ErrorRegistry } from "./error-serialization.js";
import { InvalidArgumentError } from "./errors.js";
import type { EventOfType, JournalEvent, NewEvent } from "./events.js";
import { assertIdentifier } from "./identifiers.js";
import { UpdateNotFoundError, UpdateRejectedError } from "./update-errors.js";

/**
 * An update handler: may run steps, sleep and wait like the workflow body, and
 * returns the update's result (plain data) to the caller of `client.update`.
 *
 * @example
 * const addItem: UpdateHandler<{ sku: string }, number> = async ({ sku }) => {
 *   await ctx.step("reserve", () => inventory.reserve(sku));
 *   return ++count;
 * };
 */
export type UpdateHandler<A = unknown, R = unknown> = (args: A) => R | Promise<R>;

/**
 * Options of `ctx.onUpdate`.
 *
 * @example
 * ctx.onUpdate("addItem", add, { validate: ({ qty }) => { if (qty < 1) throw new Error("qty < 1"); } });
 */
export interface UpdateHandlerOptions<A = unknown> {
  /**
   * Refuses a request by throwing; synchronous, reads workflow state, runs no
   * operation. It runs in `client.update` before anything is written, and once more
   * where the worker delivers the request (its verdict is journaled there).
   */
  validate?: (args: A) => void;
}

interface Registered {
  handler: UpdateHandler;
  validate: ((args: unknown) => void) | undefined;
}

/**
 * The updates of one run: handlers by name, the requests the journal has decided,
 * and the handlers running now.
 *
 * @example
 * const updates = new Updates("e1", new ErrorRegistry());
 * updates.register("add", async (n: number) => n + 1, {});
 * updates.decide({ name: "add", payload: 1, at: 0, update: "u1" }, 0); // UpdateAccepted
 */
export class Updates {
  readonly #executionId: string;
  readonly #errors: ErrorRegistry;
  readonly #handlers = new Map<string, Registered>();
  /** Update ids accepted or rejected in the journal, or decided by this run. */
  readonly #decided = new Set<string>();
  /** Update ids with an UpdateCompleted in the journal: their end is not proposed again. */
  readonly #completed = new Set<string>();
  #running = 0;
  #idle: (() => void)[] = [];

  constructor(executionId: string, errors: ErrorRegistry) {
    this.#executionId = executionId;
    this.#errors = errors;
  }

  register(name: unknown, handler: unknown, options: unknown): void {
    assertIdentifier(name, "update name", "ctx.onUpdate");
    if (typeof handler !== "function") {
      throw new InvalidArgumentError(
        `ctx.onUpdate("${name}", handler): handler must be a function (args) => result, not ${handler === null ? "null" : typeof handler}.`,
      );
    }
    const validate = checkHandlerOptions(name, options);
    this.#handlers.set(name, { handler: handler as UpdateHandler, validate });
  }

  /** True once the code registered any handler: the runner then looks for requests. */
  get any(): boolean {
    return this.#handlers.size > 0;
  }

  names(): string[] {
    return [...this.#handlers.keys()];
  }

  /** The constructor's pass over the journal. */
  observe(event: JournalEvent): void {
    if (event.type === "UpdateAccepted" || event.type === "UpdateRejected") this.#decided.add(event.updateId);
    else if (event.type === "UpdateCompleted") this.#completed.add(event.updateId);
  }

  /** The oldest update request in the inbox not decided yet, with its inbox seq. */
  next(
    inbox: readonly InboxEntry[],
    consumed: ReadonlySet<number>,
  ): { entry: InboxEntry; seq: number } | undefined {
    for (let seq = 0; seq < inbox.length; seq++) {
      const entry = inbox[seq] as InboxEntry;
      if (entry.update === undefined || consumed.has(seq) || this.#decided.has(entry.update)) continue;
      return { entry, seq };
    }
    return undefined;
  }

  /**
   * The verdict on a request, live: UpdateRejected (no handler, or the validator threw)
   * or UpdateAccepted. Calls the validator; never throws.
   */
  decide(entry: InboxEntry, inboxSeq: number): NewEvent {
    const errors = this.#errors;
    const updateId = entry.update as string;
    this.#decided.add(updateId);
    const registered = this.#handlers.get(entry.name);
    const reject = (error: Error): NewEvent => ({
      type: "UpdateRejected",
      updateId,
      name: entry.name,
      inboxSeq,
      error: errors.serialize(error),
    });
    if (!registered) return reject(new UpdateNotFoundError(this.#executionId, entry.name, this.names()));
    const refusal = validationError(this.#executionId, entry.name, registered, entry.payload);
    if (refusal) return reject(refusal);
    return { type: "UpdateAccepted", updateId, name: entry.name, args: entry.payload, inboxSeq };
  }

  /** The validator's refusal of `args` for handler `name` (client.update checks with it), or undefined. */
  refusal(name: string, args: unknown): UpdateRejectedError | UpdateNotFoundError | undefined {
    const registered = this.#handlers.get(name);
    if (!registered) return new UpdateNotFoundError(this.#executionId, name, this.names());
    return validationError(this.#executionId, name, registered, args);
  }

  /**
   * The UpdateAccepted handler: calls the update's handler with its args. `propose`
   * gets UpdateCompleted when it settles, unless the journal has it already. Returns
   * false when the code has no such handler (the journal does not match the code).
   */
  accept(event: EventOfType<"UpdateAccepted">, propose: (completed: NewEvent) => void): boolean {
    const errors = this.#errors;
    const registered = this.#handlers.get(event.name);
    if (!registered) return false;
    this.#running++;
    let result: Promise<unknown>;
    try {
      result = Promise.resolve(registered.handler(event.args));
    } catch (error) {
      result = Promise.reject(error);
    }
    const end = (outcome: { result: unknown } | { error: unknown }) => {
      if (!this.#completed.has(event.updateId)) {
        this.#completed.add(event.updateId);
        propose(completedEvent(event, outcome, errors));
      }
      if (--this.#running === 0) for (const resolve of this.#idle.splice(0)) resolve();
    };
    result.then(
      (value) => end({ result: value }),
      (error) => end({ error }),
    );
    return true;
  }

  /** `ctx.allUpdatesFinished()`: resolves once no handler is running (at once when none is). */
  allFinished(): Promise<void> {
    if (this.#running === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }
}

function completedEvent(
  event: EventOfType<"UpdateAccepted">,
  outcome: { result: unknown } | { error: unknown },
  errors: ErrorRegistry,
): NewEvent {
  const { updateId } = event;
  if ("error" in outcome)
    return { type: "UpdateCompleted", updateId, error: errors.serialize(outcome.error) };
  try {
    assertPlainData(outcome.result, `The result of update "${event.name}"`);
  } catch (error) {
    return { type: "UpdateCompleted", updateId, error: errors.serialize(error) };
  }
  return { type: "UpdateCompleted", updateId, result: outcome.result };
}

function validationError(
  executionId: string,
  name: string,
  registered: Registered,
  args: unknown,
): UpdateRejectedError | undefined {
  if (!registered.validate) return undefined;
  try {
    const returned: unknown = registered.validate(args);
    if (returned instanceof Promise) {
      returned.catch(() => {});
      return new UpdateRejectedError(
        executionId,
        name,
        new TypeError("the validator returned a promise; validators must be synchronous (throw to reject)"),
      );
    }
  } catch (error) {
    return new UpdateRejectedError(executionId, name, error);
  }
  return undefined;
}

function checkHandlerOptions(name: string, options: unknown): ((args: unknown) => void) | undefined {
  if (options === undefined) return undefined;
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new InvalidArgumentError(
      `ctx.onUpdate("${name}", handler, options): options must be an object { validate?: (args) => void }.`,
    );
  }
  for (const key of Object.keys(options)) {
    if (key !== "validate") {
      throw new InvalidArgumentError(
        `ctx.onUpdate("${name}", handler, options): unknown option "${key}"; the only option is validate.`,
      );
    }
  }
  const { validate } = options as { validate?: unknown };
  if (validate !== undefined && typeof validate !== "function") {
    throw new InvalidArgumentError(
      `ctx.onUpdate("${name}", handler, { validate }): validate must be a function (args) => void that throws to reject.`,
    );
  }
  return validate as ((args: unknown) => void) | undefined;
}
