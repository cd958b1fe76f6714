import { withWhere } from "./attributes.js";
import { createExecution } from "./child-executions.js";
import { assertPlainData, type InboxEntry } from "./codec.js";
import { type Duration, parseDuration } from "./duration.js";
import { EncryptionKeyError } from "./encryption.js";
import type { EngineEnv } from "./engine-env.js";
import { CancelledError, InvalidArgumentError, TimeoutError } from "./errors.js";
import { isTerminalEvent, type JournalEvent, type NewEvent } from "./events.js";
import {
  describeRecord,
  type ExecutionDescription,
  type ExecutionHandle,
  type HistoryOptions,
} from "./execution-description.js";
import {
  ExecutionBlockedError,
  ExecutionNotFoundError,
  RedriveRefusedError,
  UnknownWorkflowError,
} from "./execution-errors.js";
import { timedOutError } from "./execution-timeout.js";
import { checkExistingStart, type IfExists } from "./existing-start.js";
import { latestHeartbeats, type StepHeartbeatInfo } from "./heartbeats.js";
import { historyWarning } from "./history-limits.js";
import { assertExecutionId, assertIdentifier } from "./identifiers.js";
import { newId } from "./ids.js";
import { validateStartInput } from "./input-schema.js";
import { checkListFilter, checkStartOptions } from "./option-checks.js";
import { type QueryOptions, queryExecution } from "./queries.js";
import { checkCountFilter, deleteExecution } from "./retention.js";
import { checkEventDelivered, checkStartEvent, type StartEventOption } from "./signal-with-start.js";
import { type CountFilter, type ExecutionRecord, type ListFilter, TERMINAL_STATUSES } from "./store.js";
import { CorruptJournalError } from "./store-errors.js";
import { type TerminateOptions, terminateExecution } from "./terminate.js";
import { type UpdateOptions, updateExecution } from "./update-requests.js";
import { workerPresence } from "./worker-announcements.js";
import type { WorkflowDefinition } from "./workflow.js";

export type { ExecutionDescription, ExecutionHandle, HistoryOptions } from "./execution-description.js";

export interface StartOptions extends StartEventOption {
  /**
   * Execution id; starting twice with one id gives one execution. Default: a new ULID.
   * 1 to 1024 bytes of UTF-8 text without control characters, and without `/`
   * (reserved for the ids of child executions).
   */
  id?: string;
  /**
   * When the id exists: `"attach"` (default) returns its handle if it runs the same
   * workflow with an equal input, and throws ExecutionAlreadyExistsError otherwise;
   * `"fail"` always throws; `"use-existing"` returns its handle whatever its input. Any other value is an InvalidArgumentError.
   */
  ifExists?: IfExists;
  /**
   * Time limit of the whole execution (Step Functions' TimeoutSeconds), from the start:
   * at it, the execution ends as `timed_out` whatever it is doing (sleeping, waiting,
   * running steps, whose signals are aborted), no more workflow code runs, its
   * children get their cancellation requested, and `result()` rejects with
   * TimeoutError. Recorded as `timeoutAt` in ExecutionStarted. A positive duration.
   *
   * @example
   * await client.start(fulfillOrder, order, { id: `order-${order.id}`, executionTimeout: "1h" });
   */
  executionTimeout?: Duration;
  /**
   * With `createEngine({ telemetry })`: the OpenTelemetry `Context` whose trace the
   * execution joins (journaled as W3C headers). Default: `api.context.active()`, which
   * needs a context manager (NodeSDK registers one); pass it where there is none, or
   * `null` to journal none (the schedules' own executions, which outlive any caller).
   *
   * @example
   * await client.start(fulfillOrder, order, { otelContext: api.trace.setSpan(api.context.active(), span) });
   */
  otelContext?: unknown;
}

/**
 * Options of `client.cancel`.
 *
 * @example
 * const options: CancelOptions = { reason: "customer asked" };
 * await engine.client.cancel("order-1", options);
 */
export interface CancelOptions {
  /** Why: journaled with CancelRequested and ExecutionCancelled, the `reason` of the CancelledError. */
  reason?: string;
}

/** `client.list`'s filter: the store's, with `after` any `{ id, createdAt }` (a Date or epoch ms). */
export type ClientListFilter = Omit<ListFilter, "after"> & {
  after?: { id: string; createdAt: Date | number } | undefined;
};

/** The reason of `client.cancel(id, options)`; an InvalidArgumentError for anything but `{ reason?: string }`. */
function checkCancelOptions(options: CancelOptions): string | undefined {
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new InvalidArgumentError(
      `client.cancel(id, options): options must be an object { reason?: string }, not ${options === null ? "null" : Array.isArray(options) ? "an array" : typeof options}.`,
    );
  }
  if (options.reason !== undefined && typeof options.reason !== "string") {
    throw new InvalidArgumentError(
      `client.cancel(id, { reason }): reason must be a string, not ${typeof options.reason}.`,
    );
  }
  return options.reason;
}

/**
 * Starts executions and looks at them. Works from any process that opens the same
 * store, with or without a worker.
 *
 * @example
 * const run = await engine.client.start(fulfillOrder, order, { id: `order-${order.id}` });
 * await engine.client.sendEvent(run.id, "approval", true);
 * console.log(await run.result());
 */
export class Client {
  readonly #env: EngineEnv;

  constructor(env: EngineEnv) {
    this.#env = env;
  }

  /**
   * Starts an execution, or returns the existing one with this id. Nothing is
   * written when the input cannot be journaled (SerializationError,
   * PayloadTooLargeError), the workflow is unknown (UnknownWorkflowError), or its
   * input schema refuses the input (InputValidationError). The schema is that of the
   * definition passed, or of the one registered on this engine under the name.
   * With `options.event`, also delivers that event in the same store write
   * (signal-with-start; see {@link StartEventOption}).
   */
  async start<I, O>(
    workflow: WorkflowDefinition<I, O, never> | string,
    input: I,
    options: StartOptions = {},
  ): Promise<ExecutionHandle<O>> {
    const env = this.#env;
    env.assertOpen("client.start");
    checkStartOptions(options);
    const definition = typeof workflow === "string" ? env.workflows.get(workflow) : workflow;
    const name = typeof workflow === "string" ? workflow : workflow?.name;
    if (typeof name !== "string") {
      throw new InvalidArgumentError(
        "client.start(workflow, input): workflow must be a workflow definition or its name.",
      );
    }
    assertIdentifier(name, "workflow name", "client.start");
    if (!definition && env.workflows.size > 0)
      throw new UnknownWorkflowError(name, [...env.workflows.keys()]);
    const id = options.id ?? newId();
    assertIdentifier(id, "execution id", "client.start");
    const timeoutMs =
      options.executionTimeout === undefined
        ? undefined
        : parseDuration(options.executionTimeout, "client.start: executionTimeout");
    const event = checkStartEvent(options);
    // The schema's output is what is journaled (and compared by ifExists: "attach").
    const checked = await validateStartInput(definition, input);
    assertPlainData(checked, `The input of workflow "${name}"`);
    const { created, record } = await createExecution(env, {
      id,
      workflow: name,
      version: definition?.version ?? 1,
      input: checked,
      timeoutMs,
      fn: definition?.fn,
      event,
      ...(options.otelContext !== null && { traced: { context: options.otelContext } }),
    });
    if (created) return this.handle<O>(id);
    if (event) checkEventDelivered(record, name, event);
    else await checkExistingStart(env, record, { workflow: name, input: checked, policy: options.ifExists });
    return this.handle<O>(id);
  }

  /** A handle to an existing execution (not checked until used). */
  handle<O = unknown>(id: string): ExecutionHandle<O> {
    assertExecutionId(id, "client.handle");
    return {
      id,
      result: (options) => this.result<O>(id, options),
      describe: () => this.describe(id),
      history: (options) => this.history(id, options),
      sendEvent: (name, payload) => this.sendEvent(id, name, payload),
      query: (name, args, options) => this.query(id, name, args, options),
      update: (name, args, options) => this.update(id, name, args, options),
      cancel: (options) => this.cancel(id, options),
      terminate: (options) => this.terminate(id, options),
      resume: () => this.resume(id),
      redrive: (options) => this.redrive(id, options),
    };
  }

  /**
   * Sends an event to an execution's inbox; a `ctx.waitForEvent(name)` receives it,
   * also one that starts waiting later. Throws ExecutionFinishedError if the
   * execution has ended.
   */
  async sendEvent(id: string, name: string, payload?: unknown): Promise<void> {
    assertExecutionId(id, "client.sendEvent");
    assertIdentifier(name, "event name", "client.sendEvent");
    const env = this.#env;
    env.assertOpen("client.sendEvent");
    assertPlainData(payload, `The payload of event "${name}"`);
    const now = env.clock.now();
    const bytes = env.codec.encode({ name, payload, at: now }, `The payload of event "${name}"`);
    await env.store.inbox.send(id, bytes, now);
    env.notifyInbox(id);
    env.wake();
  }

  /**
   * Asks an execution's `ctx.onQuery(name)` handler, with `args` (plain data), for its
   * answer as of the end of the journal: the journal of the current run is replayed
   * with the workflow's code, which runs no step and writes nothing, and the handler
   * is called once the code has caught up. Works on running, sleeping, waiting and
   * finished executions alike, in any process that opens the store; the code is the
   * definition registered on this engine (createEngine or a worker) under the
   * execution's workflow, or `options.workflow` (UnknownWorkflowError without either).
   *
   * Throws ExecutionNotFoundError; QueryNotFoundError (listing the registered names)
   * when the code has no such handler there; QueryFailedError when the handler throws,
   * returns a promise or returns what is not plain data; QueryBlockedError when the
   * journal does not replay against the code. docs/talking-to-executions.md#queries.
   *
   * @example
   * const { packed, of } = await engine.client.query<{ packed: number; of: number }>("pack-7", "progress");
   */
  async query<R = unknown>(id: string, name: string, args?: unknown, options: QueryOptions = {}): Promise<R> {
    return (await queryExecution(this.#env, id, name, args, options)) as R;
  }

  /**
   * Sends update `name` with `args` (plain data) to the execution's `ctx.onUpdate(name)`
   * handler and returns the handler's result. First the journal is replayed with the
   * workflow's code (as for {@link query}): no handler of that name there is
   * UpdateNotFoundError, a validator that throws is UpdateRejectedError, and nothing is
   * written. Then the request goes to the inbox (durable, like an event); a worker
   * journals UpdateAccepted where the code waits, runs the handler (its steps are
   * journaled like the body's) and journals UpdateCompleted. A handler that throws is
   * UpdateFailedError (the execution goes on); an execution that ends before the handler
   * returns is UpdateNotCompletedError. Pass `updateId` to make a retried call idempotent.
   * docs/talking-to-executions.md#updates.
   *
   * @example
   * const count = await engine.client.update<number>("cart-1", "add", "sku-1");
   */
  async update<R = unknown>(
    id: string,
    name: string,
    args?: unknown,
    options: UpdateOptions = {},
  ): Promise<R> {
    return (await updateExecution(this.#env, id, name, args, options)) as R;
  }

  /**
   * Requests cancellation (docs/cancellation.md). The worker that runs the execution
   * journals `CancelRequested` and delivers it: every operation the workflow awaits
   * rejects with CancelledError, running step bodies see their `signal` abort, children
   * it awaits are asked to cancel. Its `catch` and `finally` blocks then run, and the
   * steps they start (compensation) run normally. It ends `cancelled` when the function
   * rethrows the CancelledError, `succeeded` if it catches it and returns. A worker of
   * this engine learns of it at once, others at their next lease renewal (`leaseMs / 3`).
   * A blocked execution, whose code cannot run, ends `cancelled` at once.
   *
   * Cancelling twice is harmless (one CancelRequested). Throws ExecutionNotFoundError,
   * or ExecutionFinishedError when it has ended. A string argument is taken as the
   * reason (deprecated: pass `{ reason }`). To end it without running any code, use
   * terminate.
   *
   * @example
   * await engine.client.cancel("order-1", { reason: "customer asked" });
   * await engine.client.result("order-1"); // rejects with CancelledError once compensation ran
   */
  async cancel(id: string, options: CancelOptions | string = {}): Promise<void> {
    assertExecutionId(id, "client.cancel");
    const reason = typeof options === "string" ? options : checkCancelOptions(options);
    this.#env.assertOpen("client.cancel");
    await this.#env.store.executions.requestCancel(id, reason, this.#env.clock.now());
    this.#env.notifyCancel(id, reason);
    this.#env.wake();
  }

  /**
   * Terminates an execution at once, running none of its code (no `catch`, no
   * `finally`, no compensation: use {@link cancel} for that). It ends `terminated`,
   * journaled as ExecutionTerminated; the worker holding it stops, and its running
   * steps see their `AbortSignal` fire (at once in this engine, within `leaseMs / 3`
   * elsewhere). `result()` then rejects with CancelledError saying "terminated".
   * Throws ExecutionNotFoundError, or ExecutionFinishedError for a finished execution
   * (nothing is written). See docs/operations.md, "Terminate".
   *
   * @example
   * await engine.client.terminate("order-1", { reason: "stuck on a retired API" });
   * await engine.client.result("order-1"); // rejects: CancelledError, Execution "order-1" was terminated: ...
   */
  async terminate(id: string, options?: TerminateOptions): Promise<void> {
    await terminateExecution(this.#env, id, options);
  }

  /**
   * Deletes a finished execution with its journal, inbox and index entries; it is then
   * unknown to every call (ExecutionNotFoundError). Throws ExecutionNotFinishedError,
   * deleting nothing, for one that has not finished (cancel or terminate it first), and
   * ExecutionNotFoundError for an unknown id. `createEngine({ retention })` does this
   * for old executions by itself. See docs/operations.md, "Deleting and retention".
   *
   * @example
   * await engine.client.delete("order-1");
   */
  async delete(id: string): Promise<void> {
    await deleteExecution(this.#env, id);
  }

  /**
   * How many executions there are, of a status, a workflow, or both, from counts the
   * store keeps with every change (no record is read). See docs/operations.md, "Counting".
   *
   * @example
   * const stuck = await engine.client.count({ status: "blocked" });
   * const orders = await engine.client.count({ workflow: "fulfillOrder", status: "running" });
   */
  async count(filter?: CountFilter): Promise<number> {
    this.#env.assertOpen("client.count");
    return this.#env.store.executions.count(withWhere(checkCountFilter(filter), filter, "client.count"));
  }

  /**
   * Resumes a blocked execution: a worker replays it again, against the code it runs
   * now. Use it after deploying code that matches the execution's journal (see
   * docs/determinism.md). Returns false, changing nothing, if it was not blocked.
   */
  async resume(id: string): Promise<boolean> {
    assertExecutionId(id, "client.resume");
    const before = await this.#record(id);
    if (before.status !== "blocked") return false;
    const after = await this.#env.store.executions.resume(id, this.#env.clock.now());
    this.#env.wake();
    return after.status !== "blocked";
  }

  /**
   * Redrive (as Step Functions' RedriveExecution): continues a failed execution from
   * the steps whose failure ended it, which run again with a fresh attempt budget;
   * every result recorded before them is kept, and the code deployed now runs on from
   * there. Journaled as ExecutionRedriven. Throws ExecutionNotFoundError, or
   * RedriveRefusedError for an execution that is not failed (running, waiting,
   * succeeded, cancelled, blocked: its message says what to do). See docs/operations.md.
   *
   * @example
   * await engine.client.redrive("order-1", { reason: "payment provider is back" });
   * console.log(await engine.client.result("order-1"));
   */
  async redrive(id: string, options: { reason?: string } = {}): Promise<void> {
    const env = this.#env;
    if (options.reason !== undefined && typeof options.reason !== "string") {
      throw new InvalidArgumentError("client.redrive(id, { reason }): reason must be a string.");
    }
    // A concurrent redrive (or the run it started failing again) moves the journal:
    // the event is encoded for a seq, so read the length again and retry.
    for (let tries = 0; ; tries++) {
      const record = await this.#record(id);
      if (record.status !== "failed") {
        throw new RedriveRefusedError(id, record.status, record.blockedReason ?? undefined);
      }
      const now = env.clock.now();
      const body: NewEvent =
        options.reason === undefined
          ? { type: "ExecutionRedriven" }
          : { type: "ExecutionRedriven", reason: options.reason };
      const event = env.codec.encode(
        { ...body, seq: record.journalLength, at: now },
        `The ExecutionRedriven event of "${id}"`,
      );
      try {
        await env.store.executions.redrive(id, { expectedSeq: record.journalLength, event }, now);
        break;
      } catch (error) {
        const moved = RedriveRefusedError.is(error) && error.status === "failed";
        if (!moved || tries >= 2) throw error;
      }
    }
    env.wake();
  }

  async describe(id: string): Promise<ExecutionDescription> {
    assertExecutionId(id, "client.describe");
    const record = await this.#record(id);
    const presence = await workerPresence(this.#env.store, [record], this.#env.clock.now());
    const description = describeRecord(record, presence.get(id));
    description.historyWarning = historyWarning(record.journalLength, this.#env.historyLimits);
    if (TERMINAL_STATUSES.has(record.status)) {
      // Read without the key of a store encrypted at rest: the record answers, the output stays sealed.
      const end = await this.#terminalEvent(record).catch((error: unknown) => {
        if (EncryptionKeyError.is(error)) return undefined;
        throw error;
      });
      if (end?.type === "ExecutionSucceeded") description.output = end.output;
      else if (end) description.error = this.#errorOf(end, id);
    }
    if (record.status === "running") {
      const heartbeats = await this.#heartbeats(id);
      if (heartbeats) description.heartbeats = heartbeats;
    }
    return description;
  }

  /**
   * The running steps' latest heartbeats, from the journal; undefined when it cannot be
   * read (describe still answers: a corrupt entry parks the execution, it is not describe's to report).
   */
  async #heartbeats(id: string): Promise<StepHeartbeatInfo[] | undefined> {
    try {
      return latestHeartbeats(await this.#env.readJournal(id));
    } catch (error) {
      if (CorruptJournalError.is(error)) return undefined;
      throw error;
    }
  }

  /**
   * The journal, decoded: of the current run, or of run `options.run` (1 for the first)
   * of an execution continued as new. A run it does not have is an InvalidArgumentError.
   *
   * @example
   * const first = await client.history("poller-1", { run: 1 }); // ends with ContinuedAsNew
   */
  async history(id: string, options: HistoryOptions = {}): Promise<JournalEvent[]> {
    assertExecutionId(id, "client.history");
    const record = await this.#record(id);
    const run = options.run;
    if (run === undefined || run === record.run) return this.#env.readJournal(id);
    if (!Number.isSafeInteger(run) || run < 1 || run > record.run) {
      throw new InvalidArgumentError(
        `client.history("${id}", { run }): run must be an integer from 1 to ${record.run} (the runs this ` +
          `execution has); got ${String(run)}.`,
      );
    }
    const entries = await this.#env.store.journal.readRun(id, run);
    return entries.map((bytes, seq) => this.#env.codec.decodeEvent(bytes, id, seq));
  }

  /**
   * The inbox, decoded: every event sent to the execution, in the order it arrived
   * (index = inbox seq), whether a wait consumed it or not. `EventReceived.inboxSeq`
   * in the journal says which wait took which entry.
   *
   * @example
   * const inbox = await client.inbox("order-1"); // [{ name: "approve", payload: true, at: 1767... }]
   */
  async inbox(id: string): Promise<InboxEntry[]> {
    await this.#record(id);
    const entries = await this.#env.store.inbox.read(id);
    return entries.map((bytes, seq) => this.#env.codec.decodeInboxEntry(bytes, id, seq));
  }

  /**
   * Executions, newest first (at most `limit`, default 100). For the next page pass the
   * last one of this page as `after` (any `{ id, createdAt }`: an ExecutionDescription).
   *
   * @example
   * const page = await client.list({ status: "failed", limit: 50 });
   * const next = await client.list({ status: "failed", limit: 50, after: page.at(-1) });
   */
  async list(filter?: ClientListFilter): Promise<ExecutionDescription[]> {
    this.#env.assertOpen("client.list");
    const checked = withWhere(checkListFilter(filter), filter, "client.list") as ClientListFilter;
    const { after, ...rest } = checked;
    const records = await this.#env.store.executions.list(
      after === undefined ? rest : { ...rest, after: { id: after.id, createdAt: Number(after.createdAt) } },
    );
    const presence = await workerPresence(this.#env.store, records, this.#env.clock.now());
    return records.map((record) => describeRecord(record, presence.get(record.id)));
  }

  /** Waits for the execution to end; see {@link ExecutionHandle.result}. */
  async result<O = unknown>(id: string, options: { timeout?: Duration } = {}): Promise<O> {
    assertExecutionId(id, "client.result");
    const env = this.#env;
    const deadline =
      options.timeout === undefined
        ? undefined
        : env.clock.now() + parseDuration(options.timeout, "result() timeout");
    // A store that announces finishes across processes needs polling only as a fallback,
    // for a notice lost in a reconnect.
    const announced = env.store.onFinished !== undefined;
    let poll = announced ? 1_000 : Math.min(20, env.pollInterval);
    for (;;) {
      const record = await this.#record(id);
      if (TERMINAL_STATUSES.has(record.status)) {
        const end = await this.#terminalEvent(record);
        if (end?.type === "ExecutionSucceeded") return end.output as O;
        if (end) throw this.#errorOf(end, id);
        // Redriven between the two reads: the journal now ends with ExecutionRedriven.
        if (!TERMINAL_STATUSES.has((await this.#record(id)).status)) continue;
        throw new Error(`Execution "${id}" ended without a terminal journal event.`);
      }
      // Parking announces itself like an end (the runner's notice, Store.onFinished), so
      // a wait that began before the execution was parked ends here too.
      if (record.status === "blocked") throw new ExecutionBlockedError(id, record.blockedReason);
      const left = deadline === undefined ? poll : Math.min(poll, deadline - env.clock.now());
      if (left <= 0) {
        throw new TimeoutError(`Execution "${id}" did not finish in time; it is ${record.status}.`);
      }
      await env.waitForFinish(id, left);
      if (!announced) poll = Math.min(poll * 2, env.pollInterval * 10, 1_000);
    }
  }

  /** The record; also where describe, history, resume and result find out that the engine is closed. */
  async #record(id: string): Promise<ExecutionRecord> {
    this.#env.assertOpen(`read execution "${id}"`);
    const record = await this.#env.store.executions.get(id);
    if (!record) throw new ExecutionNotFoundError(id);
    return record;
  }

  async #terminalEvent(record: ExecutionRecord): Promise<JournalEvent | undefined> {
    const tail = await this.#env.readJournal(record.id, record.journalLength - 1);
    const last = tail[tail.length - 1];
    return last && isTerminalEvent(last) ? last : undefined;
  }

  #errorOf(end: JournalEvent, id: string): Error {
    if (end.type === "ExecutionFailed") return this.#env.errors.deserialize(end.error);
    if (end.type === "ExecutionTimedOut") return timedOutError(id, end.timeoutMs);
    if (end.type === "ExecutionTerminated") {
      return new CancelledError(`Execution "${id}" was terminated${end.reason ? `: ${end.reason}` : ""}.`);
    }
    const reason = end.type === "ExecutionCancelled" ? end.reason : undefined;
    return new CancelledError(`Execution "${id}" was cancelled${reason ? `: ${reason}` : ""}.`, reason);
  }
}
