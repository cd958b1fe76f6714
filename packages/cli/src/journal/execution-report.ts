import type { Client, JournalEvent, SerializedError } from "@stepline/core";
import { type ListedExecution, listedExecution } from "../commands/list.js";
import type { CompiledDiagram } from "../inspector/compiled-diagrams.js";
import { errorOf, fieldsOf } from "./event-fields.js";
import { type VisitedState, visitedStates } from "./visited-states.js";

/** Everything `inspect` and the inspector page show about one execution. */
export interface ExecutionReport {
  execution: ListedExecution & {
    version: number | undefined;
    updatedAt: string;
    cancelRequested: boolean;
    historyLength: number;
    input: unknown;
    /** The output, when it succeeded. */
    output?: unknown;
    /** The error, when it failed. */
    error?: SerializedError;
    /** The reason given, when it was cancelled. */
    cancelReason?: string;
  };
  /** The operations it reached, in op order; see {@link visitedStates}. */
  states: VisitedState[];
  /** The operations it is at now: running or retrying steps, timers, event waits. */
  pending: VisitedState[];
  /** The journal, decoded. */
  events: JournalEvent[];
  /** The compiled diagram with its states coloured, on the inspector page when `--workflows` defines the workflow. */
  diagram?: CompiledDiagram;
}

/**
 * Reads an execution's record and journal and puts together its report.
 * Throws ExecutionNotFoundError for an unknown id.
 *
 * @example
 * const report = await loadExecutionReport(engine.client, "order-1");
 * report.execution.status; // "waiting"
 * report.pending.map((s) => s.name); // ["approval"]
 */
export async function loadExecutionReport(client: Client, id: string): Promise<ExecutionReport> {
  const description = await client.describe(id);
  const events = await client.history(id);
  const fields = events.map(fieldsOf);
  const started = fields[0];
  const last = fields[fields.length - 1];
  const states = visitedStates(events);
  const execution: ExecutionReport["execution"] = {
    ...listedExecution(description, Date.now()),
    version: typeof started?.version === "number" ? started.version : undefined,
    updatedAt: description.updatedAt.toISOString(),
    cancelRequested: description.cancelRequested,
    historyLength: description.historyLength,
    input: started?.input,
  };
  if (last?.type === "ExecutionSucceeded") execution.output = last.output;
  if (last?.type === "ExecutionFailed") {
    const error = errorOf(last);
    if (error) execution.error = error;
  }
  if (last?.type === "ExecutionCancelled" && typeof last.reason === "string")
    execution.cancelReason = last.reason;
  return { execution, states, pending: states.filter((s) => s.current), events };
}
