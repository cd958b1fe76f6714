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
  /**
   * True when the journal ends the run and the replay ends it the same way: the same
   * output, error (name and message), cancellation reason or continue-as-new input;
   * for a terminated or timed-out journal, the code still waiting where it stood.
   */
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
  const end = last && (isTerminalEvent(last) || last.type === "ContinuedAsNew") ? last : undefined;
  const run = new WorkflowRun({
    definition: definition as WorkflowDefinition<never, unknown>,
    executionId: "replay",
    journal: end ? journal.slice(0, -1) : journal,
    errors: new ErrorRegistry(options.errors),
  });
  await run.replay();
  return { blocked: run.blocked, outcome: run.outcome, sameOutcome: !!end && endsTheSame(end, run) };
}

/** Whether the replayed run ends as the journal did: the end event the engine would journal now, compared. */
function endsTheSame(end: JournalEvent, run: WorkflowRun): boolean {
  if (run.blocked) return false;
  // No code runs at a terminate or a timeout: the replayed code must still be waiting.
  if (end.type === "ExecutionTerminated" || end.type === "ExecutionTimedOut")
    return run.outcome === undefined;
  const proposed = run.takeNewEvents().at(-1);
  if (!proposed || proposed.type !== end.type) return false;
  const json = (value: unknown) => JSON.stringify(value);
  switch (end.type) {
    case "ExecutionSucceeded":
      return json(end.output) === json((proposed as typeof end).output);
    case "ExecutionFailed": {
      const { error } = proposed as typeof end;
      return end.error.name === error.name && end.error.message === error.message;
    }
    case "ExecutionCancelled":
      return end.reason === (proposed as typeof end).reason;
    case "ContinuedAsNew":
      return json(end.input) === json((proposed as typeof end).input);
    default:
      return false;
  }
}
