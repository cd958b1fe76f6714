import {
  endsExecution,
  type JournalEvent,
  parseStepIdentity,
  redrivenFailures,
  type SerializedError,
} from "@stepline/core";
import type { Machine, State, WorkflowMachine } from "./ir.js";
import { consumeLifecycle } from "./lifecycle-trace.js";
import {
  advance,
  type Configuration,
  cloneConfiguration,
  closure,
  MachineIndex,
  prune,
  raise,
  type Thread,
} from "./trace-model.js";

/**
 * The child events, by the shape verifyTrace reads: core journals them as
 * `ChildStarted`, `ChildSucceeded` and `ChildFailed` (part of JournalEvent), for
 * `ctx.child` and `ctx.startChild` alike. Kept so that hand-written journals (and
 * journals of an older core) type-check; verifyTrace reads neither `detached` nor
 * `parentClosePolicy`.
 */
export type ChildEvent =
  | {
      type: "ChildStarted";
      op: number;
      name: string;
      workflow: string;
      childId: string;
      /** Set by `ctx.startChild` (the start resolves the handle); verifyTrace does not read it. */
      detached?: true;
      /** ctx.startChild's option, absent for "cancel"; verifyTrace does not read it. */
      parentClosePolicy?: string;
    }
  | { type: "ChildSucceeded"; op: number; result: unknown }
  | { type: "ChildFailed"; op: number; error: SerializedError };

/** An event verifyTrace reads: any journal event, and the child events. */
export type TraceEvent = JournalEvent | (ChildEvent & { seq: number; at: number });

/** Where a journal leaves the machine. */
export interface Divergence {
  /** The `seq` of the first event no path of the machine allows. */
  seq: number;
  /** That event, described: `StepScheduled op 3 "label" attempt 1`. */
  actual: string;
  /** The states the execution had reached before it (names; "end" once it has ended). */
  reached: string[];
  /** What the machine allowed instead. */
  expected: string[];
  /** All of it, in one line. */
  message: string;
}

export type TraceResult =
  | {
      ok: true;
      /** The state each operation was matched to, by op index: the path to highlight. */
      operations: { op: number; state: string }[];
    }
  | { ok: false; divergence: Divergence };

export interface VerifyTraceOptions {
  /** Most execution configurations kept at once before the check gives up. Default 20,000. */
  limit?: number;
}

const SCHEDULES: Record<string, State["kind"]> = {
  StepScheduled: "task",
  TimerStarted: "wait",
  EventWaitStarted: "event",
  ChildStarted: "child",
};

/**
 * Checks that a journal is a path through the machine: every operation the code
 * issued matches a state the machine could be in (kind, name and `name#n`
 * identity), every completion moves it along an edge (a retry only while the
 * policy allows another attempt, a failure only to a Catch or out of the
 * workflow), and the end matches a Succeed or an uncaught error. Choices are not
 * evaluated: any side may be taken. Parallel branches and Map iterations are
 * followed as threads, so any interleaving of their events is accepted (a Map with
 * MaxConcurrency n has at most n iterations in flight).
 *
 * The lifecycle events (lifecycle-trace.ts): StepHeartbeat must name a running
 * attempt; after CancelRequested each pending operation may raise to its Catch, and
 * ExecutionCancelled then needs the code to have ended with that error;
 * ExecutionTerminated and ExecutionTimedOut end any valid prefix; a run may end with
 * ContinuedAsNew at a continue-as-new state; a ctx.startChild goes on at its
 * ChildStarted and its end may come later, or never. No event follows an end.
 *
 * @example
 * const result = verifyTrace(machine, await run.history());
 * if (!result.ok) console.error(result.divergence.message);
 * // "seq 7: the journal has StepScheduled op 3 "ship" attempt 1; the machine expected TimerStarted "cool-off" (at charge)"
 */
export function verifyTrace(
  machine: WorkflowMachine | Machine,
  journal: readonly TraceEvent[],
  options: VerifyTraceOptions = {},
): TraceResult {
  const index = new MachineIndex(machine);
  const limit = options.limit ?? 20_000;
  const redrive = redriveOf(journal);
  let configurations: Configuration[] = [
    {
      threads: [{ id: 0, at: machine.startAt, status: "ready" }],
      nextThread: 1,
      counts: {},
      bound: {},
      children: {},
      cancelled: false,
      cancelledOps: [],
    },
  ];
  let ended: TraceEvent | undefined;
  for (const [position, event] of journal.entries()) {
    const before = closure(configurations, index, limit);
    const after: Configuration[] = [];
    let problem: string | undefined;
    if (ended) {
      problem = `the journal has ${describeEvent(event)} after ${ended.type} at seq ${ended.seq}, which ended the ${ended.type === "ContinuedAsNew" ? "run" : "execution"}: no event follows it`;
    } else if (position === 0 || event.type === "ExecutionStarted") {
      problem = checkStart(machine, event, position);
      if (!problem) after.push(...before);
    } else {
      for (const configuration of before) {
        after.push(...consume(configuration, event, index, redrive, limit));
      }
    }
    if (after.length === 0) return { ok: false, divergence: divergence(event, before, index, problem) };
    if (event.type === "ContinuedAsNew" || endsExecution(journal, position)) ended = event;
    configurations = after;
  }
  const first = configurations[0] as Configuration;
  const operations = Object.entries(first.bound).map(([op, state]) => ({ op: Number(op), state }));
  return { ok: true, operations: operations.sort((a, b) => a.op - b.op) };
}

function checkStart(
  machine: WorkflowMachine | Machine,
  event: TraceEvent,
  position: number,
): string | undefined {
  if (event.type !== "ExecutionStarted" || position !== 0) {
    return "a journal begins with ExecutionStarted, and has it only once";
  }
  if ("workflow" in machine && event.workflow !== machine.workflow) {
    return `the journal is of workflow "${event.workflow}", the machine of "${machine.workflow}"`;
  }
  return undefined;
}

/**
 * What a redrive changes in a journal (core's rule, redriven-failures.ts): the final
 * StepFailed events it set aside read as "will retry" with a fresh budget, and the
 * ExecutionFailed it undid ended one run, not the path.
 */
interface RedriveMarks {
  setAside: ReadonlySet<number>;
  undoneEnds: ReadonlySet<number>;
}

function redriveOf(journal: readonly TraceEvent[]): RedriveMarks {
  const undoneEnds = new Set<number>();
  journal.forEach((event, i) => {
    if (event.type === "ExecutionFailed" && !endsExecution(journal, i)) undoneEnds.add(event.seq);
  });
  return { setAside: redrivenFailures(journal as readonly JournalEvent[]), undoneEnds };
}

/** The configurations after one event, from one before it (none: it does not fit). */
function consume(
  configuration: Configuration,
  event: TraceEvent,
  index: MachineIndex,
  redrive: RedriveMarks,
  limit: number,
): Configuration[] {
  const root = configuration.threads.find((thread) => thread.id === 0) as Thread;
  const lifecycle = consumeLifecycle(configuration, event, index, limit);
  if (lifecycle) return lifecycle;
  switch (event.type) {
    case "ExecutionSucceeded":
      return root.status === "done" ? [configuration] : [];
    case "ExecutionFailed":
      // A failed run that was redriven: the steps that ended it are to run again.
      if (redrive.undoneEnds.has(event.seq)) return [configuration];
      return root.status === "failed" ? [configuration] : [];
    case "ExecutionRedriven":
      return [configuration];
    case "StepScheduled":
      if (event.attempt > 1) {
        return onOperation(configuration, event.op, index, (thread, state) => {
          if (thread.attempt !== event.attempt - 1) return false;
          // An attempt cut short by a worker that died has no completion: the next
          // attempt's StepScheduled follows its own. It is not a failure, so maxAttempts
          // does not bound it (the step option maxInterruptions does, at run time).
          const interrupted = !thread.retrying && state.kind === "task";
          if (!thread.retrying && !interrupted) return false;
          thread.retrying = false;
          thread.attempt = event.attempt;
          return true;
        });
      }
      return schedule(configuration, event.op, event.name, "task", index);
    case "TimerStarted":
    case "EventWaitStarted":
      return schedule(configuration, event.op, event.name, SCHEDULES[event.type] as State["kind"], index);
    case "StepFailed":
      return onOperation(configuration, event.op, index, (thread, state) => {
        if (state.kind !== "task" || thread.retrying || thread.attempt !== event.attempt) return false;
        if (redrive.setAside.has(event.seq)) {
          // Set aside by a redrive: the step runs again, with a fresh budget.
          thread.retrying = true;
          thread.failures = 0;
          return true;
        }
        if (event.retryAt === undefined) {
          raise(thread, state);
          return true;
        }
        // maxAttempts counts failed attempts only.
        const failures = (thread.failures ?? 0) + 1;
        if (state.retry.known && failures >= state.retry.maxAttempts) return false;
        thread.retrying = true;
        thread.failures = failures;
        return true;
      });
    case "StepSucceeded":
      return complete(
        configuration,
        event.op,
        "task",
        index,
        (thread) => thread.attempt === event.attempt && !thread.retrying,
      );
    case "TimerFired":
      return complete(configuration, event.op, "wait", index);
    case "EventReceived":
      return complete(configuration, event.op, "event", index);
    case "EventWaitTimedOut":
      return onOperation(configuration, event.op, index, (thread, state) => {
        if (state.kind !== "event") return false;
        raise(thread, state);
        return true;
      });
    default:
      return [];
  }
}

/** A new operation: some ready thread at a state of this kind whose name matches. */
export function schedule(
  configuration: Configuration,
  op: number,
  identity: string,
  kind: State["kind"],
  index: MachineIndex,
): Configuration[] {
  // Scheduling events are appended by the worker as it gets to them, so two branches'
  // operations may be journaled out of op order: no op twice, and `name#n` must be
  // an identity not used yet that the operations issued so far (and the lower ones
  // still unjournaled) could reach.
  if (op in configuration.bound) return [];
  const { name, occurrence } = parseStepIdentity(identity);
  const used = configuration.counts[name] ?? [];
  const lowerUnseen = op - Object.keys(configuration.bound).filter((bound) => Number(bound) < op).length;
  if (used.includes(occurrence) || occurrence > used.length + 1 + lowerUnseen) return [];
  const results: Configuration[] = [];
  configuration.threads.forEach((thread, position) => {
    if (thread.status !== "ready") return;
    const state = index.state(thread.at);
    if (state.kind !== kind || !new RegExp(operationPattern(state)).test(name)) return;
    const copy = cloneConfiguration(configuration);
    const target = copy.threads[position] as Thread;
    target.status = "waiting";
    target.op = op;
    if (kind === "task") target.attempt = 1;
    delete target.failures;
    delete target.fresh;
    copy.counts[name] = [...used, occurrence].sort((a, b) => a - b);
    copy.bound[op] = state.id;
    results.push(copy);
  });
  return results;
}

function operationPattern(state: State): string {
  switch (state.kind) {
    case "task":
      return state.step.pattern;
    case "wait":
      return state.timer.pattern;
    case "event":
      return state.event.pattern;
    case "child":
      return state.operation.pattern;
    default:
      return "(?!)";
  }
}

/** Applies `edit` to the thread waiting on `op`; none if no thread waits on it or `edit` refuses. */
export function onOperation(
  configuration: Configuration,
  op: number,
  index: MachineIndex,
  edit: (thread: Thread, state: State) => boolean,
): Configuration[] {
  const position = configuration.threads.findIndex(
    (thread) => thread.status === "waiting" && thread.op === op,
  );
  if (position < 0) return [];
  const copy = cloneConfiguration(configuration);
  const thread = copy.threads[position] as Thread;
  if (!edit(thread, index.state(thread.at))) return [];
  return [prune(copy, index)];
}

function complete(
  configuration: Configuration,
  op: number,
  kind: State["kind"],
  index: MachineIndex,
  accept: (thread: Thread) => boolean = () => true,
): Configuration[] {
  return onOperation(configuration, op, index, (thread, state) => {
    if (state.kind !== kind || !accept(thread)) return false;
    advance(thread, state);
    return true;
  });
}

function describeEvent(event: TraceEvent): string {
  const fields = event as { op?: number; name?: string; attempt?: number; retryAt?: number };
  let text = event.type as string;
  if (fields.op !== undefined) text += ` op ${fields.op}`;
  if (fields.name !== undefined) text += ` "${fields.name}"`;
  if (fields.attempt !== undefined) text += ` attempt ${fields.attempt}`;
  if (event.type === "StepFailed") text += fields.retryAt === undefined ? " (final)" : " (will retry)";
  return text;
}

const SCHEDULING_EVENT: Partial<Record<State["kind"], string>> = {
  task: "StepScheduled",
  wait: "TimerStarted",
  event: "EventWaitStarted",
  child: "ChildStarted",
};

function divergence(
  event: TraceEvent,
  configurations: Configuration[],
  index: MachineIndex,
  problem: string | undefined,
): Divergence {
  const reached = new Set<string>();
  const expected = new Set<string>();
  for (const configuration of configurations) {
    for (const thread of configuration.threads) {
      if (thread.id === 0 && thread.status === "done") {
        reached.add("end");
        expected.add("ExecutionSucceeded");
        continue;
      }
      if (thread.id === 0 && thread.status === "failed") {
        reached.add("end");
        expected.add("ExecutionFailed");
        continue;
      }
      const state = index.state(thread.at);
      if (thread.status === "waiting") {
        reached.add(state.name);
        expected.add(
          thread.retrying
            ? `StepScheduled op ${thread.op} "${state.name}" attempt ${(thread.attempt ?? 0) + 1}`
            : `a result of op ${thread.op} ("${state.name}")`,
        );
      } else if (thread.status === "ready" && SCHEDULING_EVENT[state.kind]) {
        reached.add(state.name);
        expected.add(`${SCHEDULING_EVENT[state.kind]} "${state.name}"`);
      }
    }
  }
  const actual = describeEvent(event);
  const reachedList = [...reached].sort();
  const expectedList = [...expected].sort();
  const message = problem
    ? `seq ${event.seq}: ${problem}`
    : `seq ${event.seq}: the journal has ${actual}; the machine expected ${expectedList.join(" or ") || "nothing more"} (at ${reachedList.join(", ") || "the start"})`;
  return { seq: event.seq, actual, reached: reachedList, expected: expectedList, message };
}
