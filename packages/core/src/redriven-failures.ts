import { type EventOfType, isTerminalEvent, type JournalEvent } from "./events.js";

/**
 * The replay rule of redrive (docs/operations.md, "Redrive"): which final StepFailed
 * events an ExecutionRedriven sets aside, so that their steps run again.
 *
 * A journal with a redrive is one or more failed runs, each ended by ExecutionFailed
 * and followed by ExecutionRedriven, then the continuation. In each failed run, the
 * steps whose final failure ended it are set aside: replay neither delivers their
 * failure nor counts it, and runs the step again with a fresh attempt budget.
 * Everything else before the redrive replays as recorded (results, timers, events,
 * children, and the failures the code got past), and a run that ended by a throw of
 * the workflow's own is simply replayed with the code deployed now.
 *
 * The steps that ended a run are named by its ExecutionFailed (`failedSteps`: the ops
 * of final step failures after which the code issued no further operation). A journal
 * written without that field (imported from elsewhere) falls back to the journal's
 * own evidence: the final StepFailed events of the run after which no operation was
 * scheduled.
 *
 * @example
 * const setAside = redrivenFailures(await client.history("order-1"));
 * setAside.has(7); // the StepFailed at seq 7 is run again, not delivered
 */
export function redrivenFailures(journal: readonly JournalEvent[]): Set<number> {
  const setAside = new Set<number>();
  let finalFailures: EventOfType<"StepFailed">[] = [];
  /** Position in `finalFailures` up to which a later scheduling event was seen. */
  let handledUpTo = 0;
  let ended: EventOfType<"ExecutionFailed"> | undefined;
  for (const event of journal) {
    switch (event.type) {
      case "StepFailed":
        if (event.retryAt === undefined) finalFailures.push(event);
        break;
      case "StepScheduled":
      case "TimerStarted":
      case "EventWaitStarted":
      case "ChildStarted":
        handledUpTo = finalFailures.length;
        break;
      case "ExecutionFailed":
        ended = event;
        break;
      case "ExecutionRedriven": {
        const named = ended?.failedSteps;
        const chosen = named
          ? lastFailureOf(finalFailures, new Set(named))
          : finalFailures.slice(handledUpTo);
        for (const failure of chosen) setAside.add(failure.seq);
        finalFailures = [];
        handledUpTo = 0;
        ended = undefined;
        break;
      }
      default:
        break;
    }
  }
  return setAside;
}

/**
 * The `failedSteps` of a run's ExecutionFailed: the ops of the final step failures
 * after which the code issued no operation (`finalFailures` maps each to the op count
 * when it was delivered; `opCount` is the count now). Undefined when there is none.
 */
export function stepsThatEndedTheRun(
  finalFailures: ReadonlyMap<number, number>,
  opCount: number,
): number[] | undefined {
  const ops = [...finalFailures].filter(([, count]) => count === opCount).map(([op]) => op);
  return ops.length > 0 ? ops : undefined;
}

/** The last final failure of each op in `ops`. */
function lastFailureOf(failures: readonly EventOfType<"StepFailed">[], ops: ReadonlySet<number>) {
  const byOp = new Map<number, EventOfType<"StepFailed">>();
  for (const failure of failures) if (ops.has(failure.op)) byOp.set(failure.op, failure);
  return [...byOp.values()];
}

/**
 * True when the event at `index` ends the execution for good: a terminal event that
 * no ExecutionRedriven follows. An ExecutionFailed followed by a redrive ended one
 * run only; `result()`, `describe()`, import checks and the CLI read the last one.
 *
 * @example
 * journal.findIndex((_, i) => endsExecution(journal, i));
 */
export function endsExecution(journal: readonly { type: string }[], index: number): boolean {
  const event = journal[index];
  if (!event || !isTerminalEvent(event as JournalEvent)) return false;
  return journal[index + 1]?.type !== "ExecutionRedriven";
}
