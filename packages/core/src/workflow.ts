import type { StandardSchemaV1 } from "@standard-schema/spec";
import type { AttributesUpdate } from "./attributes.js";
import type { Compensations } from "./compensations.js";
import type { Duration } from "./duration.js";
import { InvalidArgumentError } from "./errors.js";
import { assertIdentifier } from "./identifiers.js";
import { checkInputSchema } from "./input-schema.js";
import type { MapCallback, MapItemResult, MapOptions } from "./map.js";
import { checkInteger, checkOptionsObject } from "./option-checks.js";
import type { ParentClosePolicy } from "./parent-close-policy.js";
import type { QueryHandler } from "./query-handlers.js";
import type { RetryPolicy } from "./retry-policy.js";
import type { UpdateHandler, UpdateHandlerOptions } from "./updates.js";
import { checkCompatibleVersions } from "./workflow-versions.js";

/** What a step body receives. */
export interface StepInfo {
  /**
   * 1 for the first attempt. Counts every attempt, interrupted ones (a worker that died
   * during it) included, so it can exceed `retry.maxAttempts`, which counts failures.
   */
  attempt: number;
  /**
   * Aborted when the attempt times out, when the execution is cancelled while the
   * attempt runs (reason: a CancelledError; the attempt's result is then discarded),
   * or when the worker hands the execution over.
   */
  signal: AbortSignal;
  executionId: string;
  /**
   * An idempotency key for this step: `<executionId>:<step identity>`, the same on
   * every attempt, distinct for each use of a repeated name (`email`, `email#2`).
   */
  key: string;
  /**
   * The fencing token of the lease this attempt runs under (incremented by every claim
   * of the execution). A body that writes elsewhere can pass it along so that a write
   * from an attempt whose lease was taken over can be told apart.
   */
  token?: number;
  /**
   * Records `details` (plain data, at most the engine's `maxEventBytes` encoded) as this
   * attempt's latest heartbeat, and tells the engine the body is alive: with the step
   * option `heartbeatTimeout`, an attempt that does not call it for that long fails
   * with TimeoutError and follows its retry policy. Details are journaled as
   * StepHeartbeat at most once per `max(1 s, heartbeatTimeout / 2)` (30 s without a
   * heartbeatTimeout), and the latest before the attempt ends, so calling it in a
   * tight loop is cheap. Throws SerializationError or PayloadTooLargeError for details
   * that cannot be journaled; the step goes on.
   *
   * @example
   * await ctx.step("import", async (info) => {
   *   const from = (info.lastHeartbeat as number | undefined) ?? 0;
   *   for (let row = from; row < rows.length; row++) {
   *     await load(rows[row]);
   *     info.heartbeat(row + 1);
   *   }
   * }, { heartbeatTimeout: "30s" });
   */
  heartbeat(details?: unknown): void;
  /**
   * The details of the latest heartbeat journaled by an earlier attempt of this step
   * (undefined if none): where a retried long step can resume. Read from the journal,
   * so it survives a crash of the worker.
   */
  lastHeartbeat?: unknown;
}

export interface StepOptions {
  retry?: RetryPolicy;
  /** Time limit of one attempt; a late attempt fails with TimeoutError (and is retried by the policy). */
  timeout?: Duration;
  /**
   * Time limit of the whole step: every attempt and the backoff between them, from the
   * start of the first attempt (as journaled). A retry that would start past it is not
   * scheduled, an attempt still running at it is aborted, and the step fails with
   * TimeoutError naming totalTimeout. Deterministic on replay: the deadline is the
   * first StepScheduled's time plus this.
   *
   * @example
   * await ctx.step("charge", () => psp.charge(order), {
   *   retry: { maxAttempts: 10, initialInterval: "1s" },
   *   totalTimeout: "2m",
   * });
   */
  totalTimeout?: Duration;
  /**
   * An attempt that goes this long without calling `info.heartbeat()` (counted from
   * its start, then from each heartbeat) fails with TimeoutError, its signal is
   * aborted, and it follows the retry policy. Also sets how often heartbeats are
   * journaled: at most once per `max(1 s, heartbeatTimeout / 2)`.
   *
   * @example
   * await ctx.step("transcode", (info) => transcode(file, { onProgress: (p) => info.heartbeat(p), signal: info.signal }), {
   *   heartbeatTimeout: "1m",
   * });
   */
  heartbeatTimeout?: Duration;
  /**
   * Attempts cut short by their worker dying (crash, kill, lost lease) that are allowed
   * before the step fails with StepInterruptedError; they do not count against
   * `retry.maxAttempts`, which counts failed attempts only. Default 3. Bounds a step
   * that kills its worker every time (a poison pill). See docs/operations.md.
   *
   * @example
   * await ctx.step("render", () => renderPdf(doc), { maxInterruptions: 1 });
   */
  maxInterruptions?: number;
}

export interface WaitForEventOptions {
  /** Give up after this long: the wait rejects with TimeoutError. Default: wait forever. */
  timeout?: Duration;
}

export interface ChildOptions {
  /**
   * The child's execution id. Default `<parent id>/<op identity>` (the child's workflow
   * name, `name#n` when repeated), stable across replays, so a restarted parent finds
   * the child it started instead of starting another. An id given here may not
   * contain `/`, which is reserved for those derived ids. An existing execution at the
   * id that this parent did not start is never adopted: the child fails.
   */
  id?: string;
  /**
   * What the parent's end (succeeded, failed, cancelled, terminated, timed out) does to
   * this child if it is still running: `"cancel"` (default) requests its cancellation,
   * `"terminate"` ends it at once, `"abandon"` lets it run on. See docs/children.md.
   *
   * @example
   * await ctx.startChild(sendReport, month, { parentClosePolicy: "abandon" });
   */
  parentClosePolicy?: ParentClosePolicy;
  /**
   * The child's own execution timeout, as `client.start(..., { executionTimeout })`
   * gives one: past it the child ends `timed_out` and the parent's await throws
   * ChildFailedError (its cause a TimeoutError). Counted from the child's start. A
   * positive duration. docs/children.md.
   *
   * @example
   * await ctx.child(verifyEmail, user, { executionTimeout: "2d" });
   */
  executionTimeout?: Duration;
}

/**
 * A child started by `ctx.startChild`: its execution id, and its outcome to await
 * when (and if) the parent wants it.
 *
 * @example
 * const shipping = await ctx.startChild(ship, order);
 * await ctx.step("invoice", () => invoice(order));
 * const tracking = await shipping.result(); // ChildFailedError if the child failed
 */
export interface ChildHandle<O> {
  readonly id: string;
  /**
   * The child's output, or ChildFailedError (its error as `cause`) when it failed, was
   * cancelled, or could not be started (an id taken by an execution this parent did
   * not start). Every call returns the same promise; leaving it unawaited is fine.
   */
  result(): Promise<O>;
}

/** Logs that are written once, live, and not again on replay. */
export interface WorkflowLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/**
 * What a workflow function gets as `ctx`. Every awaited operation (`step`,
 * `sleep`, `sleepUntil`, `waitForEvent`, `child`, `startChild`) is journaled; `now`, `random` and `ulid`
 * are deterministic, so replay sees the same values. Operation names identify
 * operations in the journal and states in the diagram: use string literals.
 */
export interface WorkflowContext {
  readonly executionId: string;
  readonly workflow: string;
  readonly log: WorkflowLogger;
  /** Runs `fn` at least once and journals its result exactly once; replay returns the recorded result. */
  step<T>(name: string, fn: (info: StepInfo) => T | Promise<T>, options?: StepOptions): Promise<Awaited<T>>;
  /** A durable timer: survives restarts, fires once. */
  sleep(name: string, duration: Duration): Promise<void>;
  sleepUntil(name: string, until: Date | number): Promise<void>;
  /** Resolves with the next event of this name sent to the execution (also one sent before the wait). */
  waitForEvent<T = unknown>(name: string, options?: WaitForEventOptions): Promise<T>;
  /**
   * Starts `definition` as a child execution with `input` and resolves with its output;
   * rejects with ChildFailedError (its error as `cause`) when it fails or is cancelled.
   * The child runs on any worker that has its workflow, and survives parent restarts.
   * Cancelling the parent requests cancellation of the children it waits for. A child
   * with an input schema gets `input` validated here, synchronously (an async schema is
   * an InvalidArgumentError): InputValidationError when refused, and nothing is started.
   *
   * @example
   * const receipt = await ctx.child(chargeCard, { orderId, amount });
   */
  child<I, O>(definition: WorkflowDefinition<I, O, never>, input: I, options?: ChildOptions): Promise<O>;
  /**
   * Starts `definition` as a child execution and resolves with a {@link ChildHandle} once
   * the start is journaled, without waiting for the child to end: await
   * `handle.result()` later, or never. When the parent ends with the child still
   * running, `parentClosePolicy` decides its fate (default `"cancel"`).
   *
   * @example
   * const audit = await ctx.startChild(writeAudit, entry, { parentClosePolicy: "abandon" });
   * const report = await ctx.startChild(buildReport, month);
   * await ctx.sleep("grace", "1h");
   * return { audit: audit.id, report: await report.result() };
   */
  startChild<I, O>(
    definition: WorkflowDefinition<I, O, never>,
    input: I,
    options?: ChildOptions,
  ): Promise<ChildHandle<O>>;
  /**
   * A saga: undo steps registered as the work is done, run in reverse order by
   * `run()`, each a journaled step with its own options. See docs/cancellation.md.
   *
   * @example
   * const saga = ctx.compensations();
   * try {
   *   const charge = await ctx.step("charge", () => payments.charge(order));
   *   saga.add("refund", () => payments.refund(charge));
   *   await ctx.step("ship", () => shipping.ship(order));
   * } catch (error) {
   *   await saga.run();
   *   throw error;
   * }
   */
  compensations(): Compensations;
  /**
   * Runs `fn` for each item with at most `options.concurrency` items in flight, and
   * resolves with the results in item order. Each item's ops are journaled as usual
   * (a repeated name gets `#n` in the order the items issue it); the map adds no event.
   * The first item that fails fails the map with MapFailedError (its index and error),
   * and no item starts after it. With `toleratedFailures` (a count, or a fraction of
   * the items) the map resolves while no more items failed, with a
   * {@link MapItemResult} per item. See docs/map.md.
   *
   * @example
   * const pages = await ctx.map(
   *   "fetch-pages",
   *   urls,
   *   (ctx, url) => ctx.step("fetch", () => fetchPage(url)),
   *   { concurrency: 5 },
   * );
   */
  map<T, R>(
    name: string,
    items: Iterable<T>,
    fn: MapCallback<T, R>,
    options: MapOptions & { toleratedFailures?: undefined },
  ): Promise<Awaited<R>[]>;
  /**
   * `ctx.map` with `toleratedFailures`: resolves with an entry per item, `{ index, ok:
   * true, value }` or `{ index, ok: false, error }`, unless more items failed than
   * allowed (then MapFailedError).
   *
   * @example
   * const results = await ctx.map("notify", users, (ctx, user) => ctx.step("email", () => send(user)), {
   *   concurrency: 20,
   *   toleratedFailures: 0.1,
   * });
   * const failed = results.filter((r) => !r.ok).map((r) => users[r.index]);
   */
  map<T, R>(
    name: string,
    items: Iterable<T>,
    fn: MapCallback<T, R>,
    options: MapOptions & { toleratedFailures: number },
  ): Promise<MapItemResult<Awaited<R>>[]>;
  /** `ctx.map` with options whose `toleratedFailures` is not known statically: either result shape. */
  map<T, R>(
    name: string,
    items: Iterable<T>,
    fn: MapCallback<T, R>,
    options: MapOptions,
  ): Promise<Awaited<R>[] | MapItemResult<Awaited<R>>[]>;
  /** Time of the latest journaled event the code has seen, in epoch ms. Use instead of Date.now(). */
  now(): number;
  /** A number in [0, 1), from a seed fixed at start. Use instead of Math.random(). */
  random(): number;
  /** A ULID from `now()` and `random()`. Use instead of random ids. */
  ulid(): string;
  /**
   * A stable idempotency key for external calls: `<executionId>:<name>`, exactly the
   * name given (no `#n` suffix): in a loop, put the iteration in the name. `name`
   * follows the rule of step names, so it never ends in `#` and digits and no key it
   * gives equals the `info.key` of another step's occurrence.
   */
  key(name: string): string;
  /**
   * Ends this run and starts a new run of the same execution id with `input` and a fresh
   * journal: `return ctx.continueAsNew(input)`. Use it in a workflow that loops for ever
   * (a poller, a subscription) so that its journal stays short. Events sent and not
   * consumed carry over to the new run; children are left running. The value must be
   * returned: the run ends when the function returns it. docs/continue-as-new.md.
   *
   * @example
   * export const poll = workflow("poll", async (ctx, state: { cursor: number }) => {
   *   let cursor = state.cursor;
   *   for (let i = 0; i < 100; i++) {
   *     cursor = await ctx.step("fetch", () => fetchAfter(cursor));
   *     await ctx.sleep("pause", "1m");
   *   }
   *   return ctx.continueAsNew({ cursor });
   * });
   */
  continueAsNew(input: unknown): never;
  /**
   * Guards a change to the code of a workflow that has executions in flight: true when
   * this run passes here with the new code (the first time live, it journals a marker;
   * on replay, the marker answers), false when replaying a journal that code without
   * the patch recorded past this point. The same patch gives the same answer for the
   * rest of the run. Keep both branches until no execution of the old code is left,
   * then `deprecatePatch`. docs/versioning.md.
   *
   * @example
   * if (ctx.patched("sms-instead-of-email")) {
   *   await ctx.step("sms", () => sms.send(user));
   * } else {
   *   await ctx.step("email", () => mail.send(user));
   * }
   */
  patched(patch: string): boolean;
  /**
   * The second deploy of a patch, once no execution of the code before it is left:
   * the old branch is removed, and this call keeps journaling the marker live, so that
   * a worker still running the `patched()` code replays new executions down the new
   * branch. Remove the call in a third deploy, once those workers are gone.
   * docs/versioning.md.
   *
   * @example
   * ctx.deprecatePatch("sms-instead-of-email");
   * await ctx.step("sms", () => sms.send(user));
   */
  deprecatePatch(patch: string): void;
  /**
   * Answers `client.query(id, name, args)` (and `stepline query ID NAME`) with `handler`:
   * a synchronous function that reads the state the workflow keeps and returns plain
   * data. A query replays the execution's journal with the code, runs no step and
   * writes nothing; the handler sees the state as of the end of the journal, with the
   * handlers registered by then (a second registration of a name replaces the first).
   * A handler that returns a promise is refused (a type error, and QueryFailedError at
   * run time): a query cannot wait. `name` follows the
   * identifier rule (1 to 256 bytes of UTF-8 without control characters).
   * docs/talking-to-executions.md#queries.
   *
   * @example
   * export const pack = workflow("pack", async (ctx, items: string[]) => {
   *   const packed: string[] = [];
   *   ctx.onQuery("progress", () => ({ packed: packed.length, of: items.length }));
   *   for (const item of items) packed.push(await ctx.step("pack", () => packItem(item)));
   *   return packed;
   * });
   * await client.query(id, "progress"); // { packed: 2, of: 5 }
   */
  onQuery<A = unknown, R = unknown>(
    name: string,
    handler: QueryHandler<A, R> &
      // A handler that only throws returns never, which is no promise.
      ([R] extends [never]
        ? unknown
        : [R] extends [PromiseLike<unknown>]
          ? { "query handlers must be synchronous": never }
          : unknown),
  ): void;
  /**
   * Registers the handler of update `name`: `client.update(id, name, args)` delivers
   * the request durably, the handler runs in the workflow (it may run steps, sleep and
   * wait, interleaved with the body and replayed with it) and its result (plain data)
   * is returned to the caller. Journaled as UpdateAccepted and UpdateCompleted; a
   * `validate` that throws refuses the request before anything is written (in
   * `client.update`) or, where the worker delivers it, as UpdateRejected. A second
   * registration under a name replaces the first. docs/talking-to-executions.md#updates.
   *
   * @example
   * export const cart = workflow("cart", async (ctx) => {
   *   const items: string[] = [];
   *   ctx.onUpdate("add", async (sku: string) => {
   *     await ctx.step("reserve", () => inventory.reserve(sku));
   *     items.push(sku);
   *     return items.length;
   *   }, { validate: (sku) => { if (!sku) throw new Error("sku is required"); } });
   *   await ctx.waitForEvent("checkout");
   *   await ctx.allUpdatesFinished();
   *   return items;
   * });
   * await client.update(id, "add", "sku-1"); // 1
   */
  onUpdate<A = unknown, R = unknown>(
    name: string,
    handler: UpdateHandler<A, R>,
    options?: UpdateHandlerOptions<A>,
  ): void;
  /**
   * Resolves once no update handler is running (at once when none is): await it before
   * returning, so that no accepted update is left without its result.
   *
   * @example
   * await ctx.allUpdatesFinished();
   * return total;
   */
  allUpdatesFinished(): Promise<void>;
  /**
   * Sets search attributes of this execution, merged over earlier calls (`null` removes
   * one), so that `client.list({ where })` and `client.count({ where })` find it. Journaled
   * (AttributesSet) the first time live; on replay nothing is written again. Names follow
   * the attribute-name rule, values are strings (at most 256 bytes), finite numbers or
   * booleans. docs/talking-to-executions.md, "Search attributes".
   *
   * @example
   * ctx.setAttributes({ customerId: order.customerId, region: "eu" });
   * ctx.setAttributes({ region: null }); // removes region
   */
  setAttributes(attributes: AttributesUpdate): void;
}

export interface WorkflowOptions<S extends StandardSchemaV1 | undefined = StandardSchemaV1 | undefined> {
  /**
   * The version of this code, a positive integer (default 1): recorded in each
   * execution's record and ExecutionStarted, and only workers whose definition has this
   * version (or lists it in `compatibleVersions`) claim the execution. Bump it for a
   * change that old journals cannot replay: during a rolling deploy, old workers drain
   * the old executions and new workers take the new ones. docs/versioning.md.
   *
   * @example
   * export const order = workflow("order", orderV2, { version: 2 });
   */
  version?: number;
  /**
   * Older versions whose journals this code also replays (the change was made
   * compatible, e.g. with `ctx.patched`): workers with this definition claim executions
   * of these versions too. Default: none, only `version` itself.
   *
   * @example
   * export const order = workflow("order", orderV3, { version: 3, compatibleVersions: [2] });
   */
  compatibleVersions?: readonly number[];
  /**
   * A Standard Schema V1 (zod 4, valibot 1, arktype, ...) for the input.
   * `client.start` validates the input with it before anything is written (sync or
   * async schemas) and throws InputValidationError, listing the issues, for one it
   * refuses; `ctx.child` / `ctx.startChild` validate in the parent's code (sync
   * schemas only). The schema's output, possibly transformed, is what the execution
   * journals and the function receives. docs/getting-started.md#input-schemas.
   *
   * @example
   * const signup = workflow("signup", async (ctx, user) => user.email, {
   *   input: z.object({ email: z.email(), plan: z.enum(["free", "pro"]).default("free") }),
   * });
   */
  input?: S;
}

/** The options `workflow()` knows; any other key is an InvalidArgumentError. */
const WORKFLOW_OPTIONS: readonly (keyof WorkflowOptions)[] = ["version", "compatibleVersions", "input"];

export type WorkflowFunction<I, O> = (ctx: WorkflowContext, input: I) => Promise<O>;

/**
 * A workflow definition, as returned by {@link workflow}: `I` is what `client.start`
 * and `ctx.child` accept, `O` its output, `V` what the function receives (the input
 * schema's output; `I` without a schema).
 */
export interface WorkflowDefinition<I = unknown, O = unknown, V = I> {
  readonly name: string;
  readonly fn: WorkflowFunction<V, O>;
  readonly version: number;
  /**
   * Older versions this definition's workers also claim (`workflow()`'s
   * `compatibleVersions`, sorted, without `version`); absent or empty: only `version`.
   */
  readonly compatibleVersions?: readonly number[];
  /** The `input` schema given to {@link workflow}, if any. */
  readonly input?: StandardSchemaV1 | undefined;
  /**
   * Never set: carries the start input type `I` for inference, as a parameter so
   * that `WorkflowDefinition<never, unknown>` stays the type of every definition.
   */
  readonly "~start"?: (input: I) => void;
}

/** The input type of a workflow definition: what `client.start` accepts (the schema's input type). */
export type WorkflowInput<W> = W extends WorkflowDefinition<infer I, unknown, never> ? I : never;
/** The output type of a workflow definition. */
export type WorkflowOutput<W> = W extends WorkflowDefinition<never, infer O, never> ? O : never;

/**
 * Defines a workflow with an input schema: `client.start` takes the schema's input
 * type and validates it; the function receives the schema's output type.
 *
 * @example
 * const signup = workflow(
 *   "signup",
 *   async (ctx, user) => ctx.step("welcome", () => mail.send(user.email, user.plan)),
 *   { input: z.object({ email: z.email(), plan: z.enum(["free", "pro"]).default("free") }) },
 * );
 * await client.start(signup, { email: "ada@example.com" }); // user.plan is "free"
 */
export function workflow<S extends StandardSchemaV1, O>(
  name: string,
  fn: (ctx: WorkflowContext, input: StandardSchemaV1.InferOutput<S>) => Promise<O>,
  options: WorkflowOptions<S> & { input: S },
): WorkflowDefinition<StandardSchemaV1.InferInput<S>, O, StandardSchemaV1.InferOutput<S>>;
/**
 * Defines a workflow: a plain async function of a context and an input.
 *
 * @example
 * export const greet = workflow("greet", async (ctx, name: string) => {
 *   const text = await ctx.step("compose", () => `Hello, ${name}`);
 *   await ctx.sleep("pause", "1s");
 *   return text;
 * });
 */
export function workflow<I, O>(
  name: string,
  fn: (ctx: WorkflowContext, input: I) => Promise<O>,
  options?: WorkflowOptions<undefined>,
): WorkflowDefinition<I, O>;
export function workflow(
  name: string,
  fn: (ctx: WorkflowContext, input: unknown) => Promise<unknown>,
  options: WorkflowOptions = {},
): WorkflowDefinition<unknown, unknown> {
  assertIdentifier(name, "workflow name", "workflow(name, fn)");
  if (typeof fn !== "function") {
    throw new InvalidArgumentError(
      `workflow("${name}", fn): fn must be an async function (ctx, input) => output.`,
    );
  }
  const checked = checkOptionsObject(options, `workflow("${name}", fn, options): options`);
  if ("~standard" in checked) {
    throw new InvalidArgumentError(
      `workflow("${name}", fn, options): options is a schema; pass it as the input option: ` +
        `workflow("${name}", fn, { input: schema }).`,
    );
  }
  const unknown = Object.keys(checked).filter((key) => !(WORKFLOW_OPTIONS as string[]).includes(key));
  if (unknown.length > 0) {
    throw new InvalidArgumentError(
      `workflow("${name}", fn, options): unknown option${unknown.length > 1 ? "s" : ""} ` +
        `${unknown.map((key) => JSON.stringify(key)).join(", ")}; the options are ` +
        `${WORKFLOW_OPTIONS.join(", ")}. Check the spelling.`,
    );
  }
  const version =
    checked.version === undefined
      ? 1
      : checkInteger(
          checked.version,
          `workflow("${name}", fn, options): version`,
          1,
          Number.MAX_SAFE_INTEGER,
        );
  const compatibleVersions = checkCompatibleVersions(
    checked.compatibleVersions,
    version,
    `workflow("${name}", fn, options)`,
  );
  const input = checkInputSchema(checked.input, name);
  return Object.freeze({
    name,
    fn,
    version,
    ...(compatibleVersions.length > 0 ? { compatibleVersions: Object.freeze(compatibleVersions) } : {}),
    ...(input ? { input } : {}),
  });
}
