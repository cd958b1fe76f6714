import type { Duration } from "./duration.js";
import { InvalidArgumentError } from "./errors.js";
import { assertIdentifier } from "./identifiers.js";
import type { MapCallback, MapItemResult, MapOptions } from "./map.js";
import type { RetryPolicy } from "./retry-policy.js";

/** What a step body receives. */
export interface StepInfo {
  /**
   * 1 for the first attempt. Counts every attempt, interrupted ones (a worker that died
   * during it) included, so it can exceed `retry.maxAttempts`, which counts failures.
   */
  attempt: number;
  /** Aborted when the attempt times out or the execution is cancelled or handed over. */
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
}

export interface StepOptions {
  retry?: RetryPolicy;
  /** Time limit of one attempt; a late attempt fails with TimeoutError (and is retried by the policy). */
  timeout?: Duration;
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
 * `sleep`, `sleepUntil`, `waitForEvent`, `child`) is journaled; `now`, `random` and `ulid`
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
   * Cancelling the parent requests cancellation of the children it waits for.
   *
   * @example
   * const receipt = await ctx.child(chargeCard, { orderId, amount });
   */
  child<I, O>(definition: WorkflowDefinition<I, O>, input: I, options?: ChildOptions): Promise<O>;
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
}

export interface WorkflowOptions {
  /** Recorded in ExecutionStarted; bump it when you ship an incompatible change. Default 1. */
  version?: number;
}

export type WorkflowFunction<I, O> = (ctx: WorkflowContext, input: I) => Promise<O>;

/** A workflow definition, as returned by {@link workflow}. */
export interface WorkflowDefinition<I = unknown, O = unknown> {
  readonly name: string;
  readonly fn: WorkflowFunction<I, O>;
  readonly version: number;
}

/** The input type of a workflow definition. */
export type WorkflowInput<W> = W extends WorkflowDefinition<infer I, unknown> ? I : never;
/** The output type of a workflow definition. */
export type WorkflowOutput<W> = W extends WorkflowDefinition<never, infer O> ? O : never;

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
  options: WorkflowOptions = {},
): WorkflowDefinition<I, O> {
  assertIdentifier(name, "workflow name", "workflow(name, fn)");
  if (typeof fn !== "function") {
    throw new InvalidArgumentError(
      `workflow("${name}", fn): fn must be an async function (ctx, input) => output.`,
    );
  }
  return Object.freeze({ name, fn, version: options.version ?? 1 });
}
