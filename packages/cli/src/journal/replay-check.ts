import {
  ErrorRegistry,
  isTerminalEvent,
  type JournalEvent,
  type WorkflowDefinition,
  WorkflowRun,
} from "@stepline/core";

/** Where the code first stops matching the journal. */
export interface Divergence {
  /** The operation index, or "end" when only the outcome differs. */
  op: number | "end";
  /** What the journal has there. */
  recorded: string;
  /** What the code asked for. */
  requested: string;
  message: string;
}

/** The verdict of {@link checkReplay}. */
export type ReplayVerdict =
  | { compatible: true; replayedEvents: number }
  | { compatible: false; divergence: Divergence };

/**
 * The built-in error classes, for rebuilding journaled errors; built once: building
 * one per replay was most of check-deploy's time (bench/deploy-phase.ts).
 */
const ERRORS = new ErrorRegistry();

/**
 * Replays a journal against a workflow definition without side effects: the replay
 * engine feeds the code its recorded results and runs no step body (steps past the
 * journal's end are only proposed, never run). A finished journal must also end the
 * same way: the same output, or an error of the same name and message. `executionId`
 * names the execution in the divergence's message.
 *
 * @example
 * const verdict = await checkReplay(fulfillOrder, await client.history("order-1"));
 * if (!verdict.compatible) console.log(verdict.divergence.op, verdict.divergence.recorded);
 */
export async function checkReplay(
  definition: WorkflowDefinition,
  journal: readonly JournalEvent[],
  executionId = "replay-check",
): Promise<ReplayVerdict> {
  const last = journal[journal.length - 1];
  const end = last && isTerminalEvent(last) ? last : undefined;
  const run = new WorkflowRun({
    definition: definition as WorkflowDefinition<never, unknown>,
    executionId,
    journal: end ? journal.slice(0, -1) : journal,
    errors: ERRORS,
  });
  await run.replay();
  if (run.blocked) {
    const { op, recorded, requested, message } = run.blocked;
    return { compatible: false, divergence: { op, recorded, requested, message } };
  }
  if (end && (end.type === "ExecutionSucceeded" || end.type === "ExecutionFailed")) {
    const outcome = run.outcome;
    const recorded =
      end.type === "ExecutionSucceeded"
        ? `output ${json(end.output)}`
        : `error ${end.error.name}: ${end.error.message}`;
    let requested = "no end (the code waits for an operation the journal does not have)";
    if (outcome?.type === "succeeded") requested = `output ${json(outcome.output)}`;
    else if (outcome?.type === "failed") {
      const error = outcome.error as Error;
      requested = `error ${error?.name}: ${error?.message}`;
    }
    if (recorded !== requested) {
      return {
        compatible: false,
        divergence: {
          op: "end",
          recorded,
          requested,
          message: `the journal ends with ${recorded}, the code with ${requested}`,
        },
      };
    }
  }
  return { compatible: true, replayedEvents: journal.length };
}

function json(value: unknown): string {
  return JSON.stringify(value) ?? "undefined";
}
