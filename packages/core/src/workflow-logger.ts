import type { WorkflowLogger } from "./workflow.js";
import type { LogSink } from "./workflow-run.js";

/**
 * The `ctx.log` of a run: writes to `sink` with the execution's id and workflow, and
 * only while `live()` says the code is not replaying history (a log line is written
 * once, not again on every replay).
 */
export function workflowLogger(
  sink: LogSink | undefined,
  live: () => boolean,
  context: { executionId: string; workflow: string },
): WorkflowLogger {
  const logger =
    (level: "debug" | "info" | "warn" | "error") =>
    (message: string, fields = {}) => {
      if (sink && live()) sink(level, message, { ...fields, ...context });
    };
  return { debug: logger("debug"), info: logger("info"), warn: logger("warn"), error: logger("error") };
}
