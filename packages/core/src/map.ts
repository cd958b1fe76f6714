/**
 * `ctx.map`: runs a callback over items with at most `concurrency` of them in flight,
 * built on the context's own operations. It journals nothing of its own: each item's
 * steps, sleeps and waits are journaled as the callback issues them, and replay
 * rebuilds the map from them.
 *
 * Determinism: items start in index order, the first `concurrency` at once and each
 * further one in the continuation of an item that settled. An item settles only after
 * a completion of one of its ops was delivered, and replay delivers completions in
 * journal order, one macrotask apart (DESIGN.md section 4), so which item starts next,
 * and which ops it issues, is the same on every replay (map.test.ts, "replays").
 */
import { CancelledError, InvalidArgumentError } from "./errors.js";
import { assertIdentifier } from "./identifiers.js";
import { MapFailedError, type MapItemFailure } from "./operation-errors.js";
import { checkFunction, checkMapOptions } from "./option-checks.js";
import { showValue } from "./show-value.js";
import type { WorkflowContext } from "./workflow.js";

/**
 * Options of `ctx.map`.
 *
 * @example
 * await ctx.map("charge-all", orders, (ctx, order) => ctx.step("charge", () => charge(order)), {
 *   concurrency: 10,
 *   toleratedFailures: 0.05,
 * });
 */
export interface MapOptions {
  /**
   * Most items in flight at once (Step Functions' MaxConcurrency): an item is in flight
   * from the start of its callback until the promise it returned settles. An integer
   * from 1 to 100,000.
   */
  concurrency: number;
  /**
   * Failed items the map accepts: a count (an integer, 0 or more: Step Functions'
   * ToleratedFailureCount; `1` is one item) or a fraction of the items (greater than 0
   * and less than 1: ToleratedFailurePercentage / 100; `0.1` tolerates `floor(0.1 *
   * items)`). With it set, the map resolves with a {@link MapItemResult} per item; one
   * failure more than allowed fails it with MapFailedError. Left out, the first failure
   * does, and the map resolves with the values.
   */
  toleratedFailures?: number;
}

/**
 * What `ctx.map` with `toleratedFailures` gives per item, in item order: the value, or
 * the error its callback threw. `index` is the item's index, so a filtered list still
 * says which item each entry is.
 *
 * @example
 * const results = await ctx.map("ping", hosts, (ctx, host) => ctx.step("ping", () => ping(host)), {
 *   concurrency: 20,
 *   toleratedFailures: hosts.length,
 * });
 * const down = results.filter((r) => !r.ok).map((r) => hosts[r.index]);
 */
export type MapItemResult<R> =
  | { index: number; ok: true; value: R }
  | { index: number; ok: false; error: unknown };

/**
 * The callback of `ctx.map`: one item's work, with the context to run its ops on (the
 * workflow's own `ctx`), the item and its index in the items.
 *
 * @example
 * const resize: MapCallback<string, string> = (ctx, url, index) =>
 *   ctx.step("resize", () => images.resize(url, { name: `thumb-${index}` }));
 */
export type MapCallback<T, R> = (ctx: WorkflowContext, item: T, index: number) => Promise<R> | R;

/**
 * The `map` method of a context whose other ops are `ctx`'s. `ctx` is read when the
 * map is called (the context object is built around this method). Internal: the
 * replay engine's context uses it.
 *
 * @example
 * const ctx: WorkflowContext = { ...ops, map: contextMap(() => ctx) };
 */
export function contextMap(ctx: () => WorkflowContext): WorkflowContext["map"] {
  return ((name: string, items: Iterable<unknown>, fn: MapCallback<unknown, unknown>, options: MapOptions) =>
    runMap(ctx(), name, items, fn, options)) as WorkflowContext["map"];
}

function runMap(
  ctx: WorkflowContext,
  name: string,
  items: Iterable<unknown>,
  fn: MapCallback<unknown, unknown>,
  options: MapOptions,
): Promise<unknown> {
  assertIdentifier(name, "map name", "ctx.map");
  const where = `ctx.map("${name}")`;
  const list = itemsOf(items, where);
  checkFunction(fn, `${where}: fn`, "(ctx, item, index) => result");
  const { concurrency, toleratedFailures } = checkMapOptions(options, where);
  const tolerated =
    toleratedFailures === undefined
      ? undefined
      : { option: toleratedFailures, count: allowedFailures(toleratedFailures, list.length) };

  return new Promise((resolve, reject) => {
    const outcomes: MapItemResult<unknown>[] = new Array(list.length);
    const failures: MapItemFailure[] = [];
    const inFlight = new Set<number>();
    let next = 0;
    let ended = false;

    const fail = (error: unknown) => {
      ended = true;
      reject(error);
    };
    const settled = (index: number, outcome: MapItemResult<unknown>) => {
      inFlight.delete(index);
      if (ended) return; // abandoned: its result is dropped
      outcomes[index] = outcome;
      if (!outcome.ok) {
        // A cancellation is not an item failure: it ends the map as it came (docs/map.md).
        if (CancelledError.is(outcome.error)) return fail(outcome.error);
        failures.push({ index, error: outcome.error });
        if (tolerated === undefined || failures.length > tolerated.count) {
          return fail(
            new MapFailedError({
              map: name,
              index,
              cause: outcome.error,
              failures,
              inFlight: [...inFlight],
              items: list.length,
              ...(tolerated ? { tolerated } : {}),
            }),
          );
        }
      }
      startItems();
    };
    const startItems = () => {
      while (inFlight.size < concurrency && next < list.length) {
        const index = next++;
        inFlight.add(index);
        let promise: Promise<unknown>;
        try {
          promise = Promise.resolve(fn(ctx, list[index], index));
        } catch (error) {
          promise = Promise.reject(error);
        }
        promise.then(
          (value) => settled(index, { index, ok: true, value }),
          (error: unknown) => settled(index, { index, ok: false, error }),
        );
      }
      if (inFlight.size === 0 && next === list.length && !ended) {
        ended = true;
        resolve(tolerated ? outcomes : outcomes.map((o) => (o as { value: unknown }).value));
      }
    };
    startItems();
  });
}

/**
 * The items as an array, read once: a copy, so that changing the array during the map
 * changes nothing (map.test.ts, "reads the items once").
 */
function itemsOf(items: unknown, where: string): readonly unknown[] {
  const iterable =
    typeof items === "object" &&
    items !== null &&
    typeof (items as { [Symbol.iterator]?: unknown })[Symbol.iterator] === "function";
  if (!iterable) {
    throw new InvalidArgumentError(
      `${where}: items must be an array (or another iterable, such as a Set); got ${showValue(items)}. ` +
        "An async iterable or a stream cannot be mapped: read it in a step and map the array it returns.",
    );
  }
  return Array.from(items as Iterable<unknown>);
}

/**
 * Failures `toleratedFailures` allows over `items` items: a count as it is, a fraction
 * rounded down (Step Functions fails a Map when the failed share exceeds the percentage).
 *
 * @example
 * allowedFailures(0.25, 10); // 2
 * allowedFailures(3, 2);     // 3
 */
export function allowedFailures(toleratedFailures: number, items: number): number {
  return Number.isInteger(toleratedFailures) ? toleratedFailures : Math.floor(toleratedFailures * items);
}
