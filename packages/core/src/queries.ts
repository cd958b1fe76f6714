/**
 * Queries (DESIGN.md section 9): `client.query(id, name, args)` answers from an
 * execution's current state by building a WorkflowRun from its journal, letting the
 * code replay until it goes quiet, calling the handler the code registered with
 * `ctx.onQuery`, and throwing the run away. Nothing is written and no step runs: the
 * run's proposals (`takeNewEvents`: scheduled steps, patch markers, the terminal
 * event) and its inbox bookkeeping never leave this module, and a replay has no log
 * sink (queries.test.ts "...running no step and writing nothing" and "journals nothing the
 * replay proposes" compare the store byte for byte before and after).
 */
import { assertPlainData } from "./codec.js";
import type { EngineEnv } from "./engine-env.js";
import { ErrorRegistry } from "./error-serialization.js";
import { guard, InvalidArgumentError, type NonDeterminismError, SteplineError } from "./errors.js";
import type { JournalEvent } from "./events.js";
import { ExecutionNotFoundError, UnknownWorkflowError } from "./execution-errors.js";
import { assertExecutionId, assertIdentifier } from "./identifiers.js";
import type { ExecutionRecord } from "./store.js";
import type { WorkflowDefinition } from "./workflow.js";
import { WorkflowRun } from "./workflow-run.js";

/**
 * Options of `client.query`.
 *
 * @example
 * await client.query("order-1", "status", undefined, { workflow: fulfillOrder });
 */
export interface QueryOptions {
  /**
   * The definition to replay the execution with, when the engine has none registered
   * under the execution's workflow name (a client of an engine without workers, the
   * CLI). Its name must be the execution's workflow.
   */
  workflow?: WorkflowDefinition<never, unknown, never>;
}

/**
 * The execution has no handler of this name at the end of its journal: the code never
 * registers it, or registers it later than the execution has come.
 *
 * @example
 * if (QueryNotFoundError.is(error)) console.log(error.registered); // ["status"]
 */
export class QueryNotFoundError extends SteplineError {
  override readonly code = "STEPLINE_QUERY_NOT_FOUND";
  override name = "QueryNotFoundError";
  readonly executionId: string;
  readonly query: string;
  /** The names the code had registered by the end of the journal. */
  readonly registered: string[];
  constructor(executionId: string, workflow: string, query: string, registered: string[], ended?: string) {
    super(
      `Execution "${executionId}" (workflow "${workflow}") has no query "${query}" ` +
        (registered.length > 0
          ? `(registered: ${registered.join(", ")}). `
          : "(its code has registered no query by the end of its journal). ") +
        (ended ? `Its code ${ended} during the replay. ` : "") +
        `Register it with ctx.onQuery("${query}", (args) => value) in the workflow body, before the ` +
        "point the execution has reached; see docs/talking-to-executions.md#queries.",
    );
    this.executionId = executionId;
    this.query = query;
    this.registered = registered;
  }
  static override is = guard<QueryNotFoundError>("STEPLINE_QUERY_NOT_FOUND");
}

/** Why a query handler gave no answer. */
export type QueryFailure = "threw" | "returned-promise" | "not-plain-data";

/**
 * A query handler gave no answer: it threw (`cause` is what it threw), returned a
 * promise (a query cannot wait), or returned a value that is not plain data (`cause`
 * is the SerializationError). The execution is not affected.
 *
 * @example
 * if (QueryFailedError.is(error) && error.reason === "threw") console.log(error.cause);
 */
export class QueryFailedError extends SteplineError {
  override readonly code = "STEPLINE_QUERY_FAILED";
  override name = "QueryFailedError";
  readonly executionId: string;
  readonly query: string;
  readonly reason: QueryFailure;
  constructor(executionId: string, query: string, reason: QueryFailure, cause?: unknown) {
    const where = `Query "${query}" of execution "${executionId}"`;
    super(
      reason === "threw"
        ? `${where} failed: its handler threw ${describeThrown(cause)}. The execution is not affected; fix the handler.`
        : reason === "returned-promise"
          ? `${where} returned a promise: query handlers must be synchronous, because a query replays the ` +
            "journal and cannot wait for anything. Return the value from state the workflow keeps " +
            "(assign it in the body, after each step, and read it in the handler)."
          : `${where} returned a value that cannot be sent back: ${(cause as Error).message}`,
      cause === undefined ? undefined : { cause },
    );
    this.executionId = executionId;
    this.query = query;
    this.reason = reason;
  }
  static override is = guard<QueryFailedError>("STEPLINE_QUERY_FAILED");
}

/**
 * The journal does not replay against the code (a NonDeterminismError, the `cause`),
 * so the code cannot reach the execution's current state and no handler can answer.
 *
 * @example
 * if (QueryBlockedError.is(error)) console.log(error.cause); // the NonDeterminismError
 */
export class QueryBlockedError extends SteplineError {
  override readonly code = "STEPLINE_QUERY_BLOCKED";
  override name = "QueryBlockedError";
  readonly executionId: string;
  readonly query: string;
  constructor(executionId: string, query: string, divergence: NonDeterminismError) {
    super(
      `Query "${query}" of execution "${executionId}" cannot be answered: the workflow code does not replay ` +
        `its journal (at op ${divergence.op} the journal has ${divergence.recorded}, the code asked for ` +
        `${divergence.requested}), so it cannot reach the execution's current state. Query it with code that ` +
        "matches its journal (stepline replay-check tells); see docs/determinism.md.",
      { cause: divergence },
    );
    this.executionId = executionId;
    this.query = query;
  }
  static override is = guard<QueryBlockedError>("STEPLINE_QUERY_BLOCKED");
}

/**
 * Replays `journal` with `definition`, running no step, and returns what the handler
 * of query `name` answers with `args` at the end of it. Pure: reads nothing, writes
 * nothing. Throws QueryBlockedError, QueryNotFoundError or QueryFailedError.
 *
 * @example
 * const count = await answerQuery({ definition: counter, executionId: "c-1", journal, name: "count" });
 */
export async function answerQuery(params: {
  definition: WorkflowDefinition<never, unknown, never>;
  executionId: string;
  journal: readonly JournalEvent[];
  name: string;
  args?: unknown;
  errors?: ErrorRegistry;
}): Promise<unknown> {
  const { definition, executionId, name } = params;
  const run = new WorkflowRun({
    definition: definition as WorkflowDefinition<never, unknown>,
    executionId,
    journal: params.journal,
    errors: params.errors ?? new ErrorRegistry(),
  });
  await run.replay();
  if (run.blocked) throw new QueryBlockedError(executionId, name, run.blocked);
  const handler = run.queries.get(name);
  if (!handler) {
    const ended = run.outcome?.type === "failed" ? `threw ${describeThrown(run.outcome.error)}` : undefined;
    throw new QueryNotFoundError(executionId, definition.name, name, run.queries.names(), ended);
  }
  let result: unknown;
  try {
    result = handler(params.args);
  } catch (error) {
    throw new QueryFailedError(executionId, name, "threw", error);
  }
  if (isThenable(result)) {
    // Its rejection, if any, has no one left to hear it.
    Promise.resolve(result).catch(() => {});
    throw new QueryFailedError(executionId, name, "returned-promise");
  }
  try {
    assertPlainData(result, `The result of query "${name}"`);
  } catch (error) {
    throw new QueryFailedError(executionId, name, "not-plain-data", error);
  }
  return result;
}

/** `client.query`: checks the call, reads the current run's journal, answers (client.ts). */
export async function queryExecution(
  env: EngineEnv,
  id: string,
  name: string,
  args: unknown,
  options: QueryOptions,
): Promise<unknown> {
  assertExecutionId(id, "client.query");
  assertIdentifier(name, "query name", "client.query");
  checkWorkflowOption(options, "client.query(id, name, args, options)");
  assertPlainData(args, `The args of query "${name}"`);
  env.assertOpen("client.query");
  const record = await env.store.executions.get(id);
  if (!record) throw new ExecutionNotFoundError(id);
  const definition = definitionOf(
    env,
    record,
    options.workflow,
    `client.query("${id}", "${name}", args, { workflow })`,
  );
  // The store keeps the current run's journal under the id: after continue-as-new, the last run's.
  const journal = await env.readJournal(id);
  return answerQuery({ definition, executionId: id, journal, name, args, errors: env.errors });
}

/**
 * The code to replay an execution with: `given` (checked to be of its workflow) or the
 * engine's definition of its workflow. Shared by queries and updates (update-requests.ts).
 */
export function definitionOf(
  env: EngineEnv,
  record: ExecutionRecord,
  given: WorkflowDefinition<never, unknown, never> | undefined,
  call: string,
): WorkflowDefinition<never, unknown, never> {
  const definition = given ?? env.workflows.get(record.workflow);
  if (!definition) throw new UnknownWorkflowError(record.workflow, [...env.workflows.keys()]);
  if (definition.name !== record.workflow) {
    throw new InvalidArgumentError(
      `${call}: the execution runs workflow "${record.workflow}", not "${definition.name}"; pass the definition of "${record.workflow}".`,
    );
  }
  return definition;
}

/** Checks that `options` is an object whose `workflow`, if any, is a workflow definition. */
export function checkWorkflowOption(options: unknown, call: string): asserts options is QueryOptions {
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new InvalidArgumentError(
      `${call}: options must be an object { workflow?: WorkflowDefinition, ... }.`,
    );
  }
  const given = (options as QueryOptions).workflow;
  const isDefinition = (value: unknown): boolean =>
    typeof value === "object" &&
    value !== null &&
    typeof (value as WorkflowDefinition).name === "string" &&
    typeof (value as WorkflowDefinition).fn === "function";
  if (given !== undefined && !isDefinition(given)) {
    throw new InvalidArgumentError(
      `${call}: options.workflow must be a workflow definition (what workflow() returns).`,
    );
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === "object" || typeof value === "function") &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

function describeThrown(thrown: unknown): string {
  if (thrown instanceof Error) return `${thrown.name}: ${thrown.message}`;
  return String(thrown);
}
