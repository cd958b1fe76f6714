import {
  type ErrorClass,
  ErrorRegistry,
  isTerminalEvent,
  type JournalEvent,
  type NonDeterminismError,
  type RunOutcome,
  type WorkflowDefinition,
  WorkflowRun,
} from "@stepline/core";

export interface ReplayReport {
  /** Set when the code no longer matches the journal. */
  blocked: NonDeterminismError | undefined;
  /** How the workflow function ended on replay, if it did. */
  outcome: RunOutcome | undefined;
  /** True when the journal ends the execution and the replay ended it the same way. */
  sameOutcome: boolean;
}

/**
 * Replays a recorded journal against the current workflow code, without running any
 * step: what a deploy of changed code would do to executions journaled like this one.
 * Use it on checked-in journals so that a change that breaks replay fails the build.
 *
 * @example
 * const report = await replayJournal(fulfillOrder, JSON.parse(readFileSync("journals/shipped.json", "utf8")));
 * expect(report.blocked).toBeUndefined();
 * expect(report.sameOutcome).toBe(true);
 */
export async function replayJournal(
  // biome-ignore lint/suspicious/noExplicitAny: definitions of any input and output type are accepted.
  definition: WorkflowDefinition<any, any>,
  journal: readonly JournalEvent[],
  options: { errors?: readonly ErrorClass[] } = {},
): Promise<ReplayReport> {
  const last = journal[journal.length - 1];
  const terminal = last && isTerminalEvent(last) ? last : undefined;
  const run = new WorkflowRun({
    definition: definition as WorkflowDefinition<never, unknown>,
    executionId: "replay",
    journal: terminal ? journal.slice(0, -1) : journal,
    errors: new ErrorRegistry(options.errors),
  });
  await run.replay();
  const outcome = run.outcome;
  let sameOutcome = false;
  if (terminal && outcome && !run.blocked) {
    if (terminal.type === "ExecutionSucceeded" && outcome.type === "succeeded") {
      sameOutcome = JSON.stringify(terminal.output) === JSON.stringify(outcome.output);
    } else if (terminal.type === "ExecutionFailed" && outcome.type === "failed") {
      const error = outcome.error as Error;
      sameOutcome = terminal.error.name === error.name && terminal.error.message === error.message;
    }
  }
  return { blocked: run.blocked, outcome, sameOutcome };
}
