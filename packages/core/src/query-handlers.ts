/**
 * The query handlers a run's code registers with `ctx.onQuery` (queries.ts answers
 * them). Every run has a registry; only a run built to answer a query ever calls a
 * handler, so registering costs a live run one map entry.
 */
import { InvalidArgumentError } from "./errors.js";
import { assertIdentifier } from "./identifiers.js";

/**
 * A query handler: reads the state the workflow keeps and returns it, synchronously,
 * as plain data. `args` is what `client.query` was given.
 *
 * @example
 * const status: QueryHandler<void, { shipped: number }> = () => ({ shipped });
 */
export type QueryHandler<A = unknown, R = unknown> = (args: A) => R;

/**
 * The handlers of one run, by query name. A second registration under a name replaces
 * the first, so the code can change its answer as it moves on.
 *
 * @example
 * const queries = new QueryHandlers();
 * queries.register("count", () => 3);
 * queries.get("count")?.(undefined); // 3
 */
export class QueryHandlers {
  readonly #handlers = new Map<string, QueryHandler>();

  register(name: unknown, handler: unknown): void {
    assertIdentifier(name, "query name", "ctx.onQuery");
    if (typeof handler !== "function") {
      throw new InvalidArgumentError(
        `ctx.onQuery("${name}", handler): handler must be a function (args) => value, not ${handler === null ? "null" : typeof handler}.`,
      );
    }
    this.#handlers.set(name, handler as QueryHandler);
  }

  get(name: string): QueryHandler | undefined {
    return this.#handlers.get(name);
  }

  /** The registered names, in the order they were first registered. */
  names(): string[] {
    return [...this.#handlers.keys()];
  }
}
