import type { Machine, MapState, ParallelState, State } from "./ir.js";
import { edgesOf, subMachines } from "./ir.js";

/**
 * One line of control in a run of the machine: the workflow's own, a Parallel
 * branch's, or one Map iteration's.
 *
 * - ready: about to run state `at`;
 * - waiting: issued operation `op` at `at` (a Task, Wait, event or child) and waits for it;
 * - joining: at a Parallel or Map state, waiting for its child threads;
 * - done / failed: finished, normally or with an error nothing caught.
 */
export interface Thread {
  id: number;
  /** The joining thread this one is a branch or iteration of; absent for the root and orphans. */
  parent?: number;
  at: string;
  status: "ready" | "waiting" | "joining" | "done" | "failed";
  op?: number;
  attempt?: number;
  /** A failed attempt will be retried: the next event for `op` is StepScheduled attempt + 1. */
  retrying?: boolean;
  /** Failed attempts of the step at `op` so far (since a redrive of it); maxAttempts bounds these. */
  failures?: number;
  /** A Map iteration that has not issued an operation yet (a new one is spawned only when none is). */
  fresh?: boolean;
  /** A joining `Promise.race`: one branch has finished, so it may go on. */
  won?: boolean;
  /** A joining ctx.map with toleratedFailures: how many of its items failed so far. */
  failedItems?: number;
  /** A thread of an update handler: the update id of the UpdateAccepted that started it. */
  update?: string;
  /**
   * A CancelRequested found this thread at an operation: it may raise CancelledError
   * there (to the Catch, or a wait's `cancel`), or the operation may still complete.
   */
  cancelPending?: boolean;
}

/** A child started by ctx.startChild: its op, and its end once the journal has it. */
export interface StartedChild {
  op: number;
  outcome?: "succeeded" | "failed";
}

/** A possible state of the whole execution, given the journal so far. */
export interface Configuration {
  threads: Thread[];
  nextThread: number;
  /** The `#n` occurrences journaled per raw name, for the identity check. */
  counts: Record<string, number[]>;
  /** Which state each operation was matched to (not part of the identity of a configuration). */
  bound: Record<number, string>;
  /** The latest child started at each detached start state, by state id. */
  children: Record<string, StartedChild>;
  /** A CancelRequested has been journaled. */
  cancelled: boolean;
  /** Ops that raised CancelledError: a late completion of one changes nothing. */
  cancelledOps: number[];
}

/** The states of a machine by id, and the machine each belongs to. */
export class MachineIndex {
  readonly states = new Map<string, State>();
  readonly #owner = new Map<string, Machine>();

  /** The update handler machines by update name (WorkflowMachine.updates). */
  readonly handlers = new Map<string, Machine>();

  constructor(root: Machine & { updates?: (Machine & { update: string })[] }) {
    const visit = (machine: Machine) => {
      for (const state of machine.states) {
        this.states.set(state.id, state);
        this.#owner.set(state.id, machine);
        for (const sub of subMachines(state)) visit(sub);
      }
    };
    visit(root);
    for (const handler of root.updates ?? []) {
      this.handlers.set(handler.update, handler);
      visit(handler);
    }
  }

  #issues: Map<string, boolean> | undefined;

  /**
   * Whether a thread standing at `id` may still issue an operation (a journal event
   * names it) before its machine ends: false for a path of Choices, Succeed and Fail only.
   */
  mayIssue(id: string): boolean {
    if (!this.#issues) {
      // Least fixed point over the edges (loops included).
      const issues = new Map([...this.states.keys()].map((key) => [key, false]));
      let changed = true;
      while (changed) {
        changed = false;
        for (const [key, state] of this.states) {
          if (issues.get(key)) continue;
          const silent = state.kind === "choice" || state.kind === "succeed" || state.kind === "fail";
          if (
            !silent ||
            subMachines(state).some((sub) => issues.get(sub.startAt)) ||
            edgesOf(state).some((edge) => issues.get(edge.to))
          ) {
            issues.set(key, true);
            changed = true;
          }
        }
      }
      this.#issues = issues;
    }
    return this.#issues.get(id) ?? true;
  }

  state(id: string): State {
    const state = this.states.get(id);
    if (!state) throw new Error(`verifyTrace: the machine has no state "${id}"`);
    return state;
  }
}

/** A key that is equal for configurations that behave the same from here on. */
export function configurationKey(configuration: Configuration): string {
  const { counts, children, cancelled, cancelledOps } = configuration;
  // Thread ids by position: a Map iteration that ends without an operation and the next
  // one spawned in its place are the same configuration, not a new one per id (else the
  // closure unrolls such a loop up to its limit; found by the generated-program test).
  const position = new Map(configuration.threads.map((thread, i) => [thread.id, i]));
  const threads = configuration.threads.map((thread) => ({
    ...thread,
    id: position.get(thread.id),
    parent: thread.parent === undefined ? undefined : position.get(thread.parent),
  }));
  return JSON.stringify([threads, counts, children, cancelled, cancelledOps]);
}

/** A copy that can be changed without touching the original. */
export function cloneConfiguration(configuration: Configuration): Configuration {
  return {
    threads: configuration.threads.map((thread) => ({ ...thread })),
    nextThread: configuration.nextThread,
    counts: { ...configuration.counts },
    bound: { ...configuration.bound },
    children: Object.fromEntries(
      Object.entries(configuration.children).map(([state, child]) => [state, { ...child }]),
    ),
    cancelled: configuration.cancelled,
    cancelledOps: [...configuration.cancelledOps],
  };
}

/** Moves a thread past its state: to `next`, or done at the end of its machine. */
export function advance(thread: Thread, state: State): void {
  leave(thread, "next" in state ? state.next : undefined, "done");
}

/** An error at `state`: to its Catch if it has one, else the thread fails. */
export function raise(thread: Thread, state: State): void {
  leave(thread, "catch" in state ? state.catch : undefined, "failed");
}

/**
 * CancelledError at the operation the thread stands at: to its Catch, or for a wait
 * to its `cancel` (a sleep has no Catch), else the thread fails.
 */
export function raiseCancelled(configuration: Configuration, thread: Thread, state: State): void {
  if (thread.op !== undefined) configuration.cancelledOps.push(thread.op);
  leave(thread, state.kind === "wait" ? state.cancel : "catch" in state ? state.catch : undefined, "failed");
}

/** The states a thread may stand at, or wait in, when a cancellation arrives. */
export const CANCELLABLE: ReadonlySet<State["kind"]> = new Set([
  "task",
  "wait",
  "event",
  "child",
  "awaitChild",
]);

/** The thread leaves its operation: ready at `target`, or `ending` when there is none. */
function leave(thread: Thread, target: string | undefined, ending: "done" | "failed"): void {
  delete thread.op;
  delete thread.attempt;
  delete thread.retrying;
  delete thread.cancelPending;
  if (target === undefined) thread.status = ending;
  else {
    thread.at = target;
    thread.status = "ready";
  }
}

/**
 * Every configuration reachable from `start` without consuming a journal event:
 * taking either side of a Choice, passing opaque states, entering and joining
 * Parallel and Map states, spawning Map iterations, reaching Succeed and Fail.
 * Stops growing at `limit` configurations.
 */
export function closure(start: Configuration[], index: MachineIndex, limit: number): Configuration[] {
  const seen = new Map<string, Configuration>();
  const queue: Configuration[] = [];
  const push = (configuration: Configuration) => {
    if (tooManyPending(configuration)) return;
    const key = configurationKey(configuration);
    if (seen.has(key) || seen.size >= limit) return;
    seen.set(key, configuration);
    queue.push(configuration);
  };
  for (const configuration of start) push(configuration);
  while (queue.length > 0) {
    const configuration = queue.shift() as Configuration;
    for (const successor of silentMoves(configuration, index)) push(successor);
  }
  return [...seen.values()];
}

/**
 * Most race losers that went on (orphans) and have not journaled their first operation
 * yet. Each pass through a loop around a `Promise.race` that an operation-free branch
 * wins leaves one more, and the machine does not know how many items the loop has, so
 * without a bound the closure unrolls it up to its limit (found by the generated-program
 * test). A journal with more than this many such operations unjournaled at once (the
 * worker journals a batch's operations together) would be rejected.
 */
const MAX_PENDING_ORPHANS = 4;

function tooManyPending(configuration: Configuration): boolean {
  let pending = 0;
  for (const thread of configuration.threads) {
    if (
      thread.id !== 0 &&
      thread.parent === undefined &&
      thread.update === undefined &&
      thread.status === "ready"
    )
      pending += 1;
  }
  return pending > MAX_PENDING_ORPHANS;
}

/** The configurations one silent move away. */
function silentMoves(configuration: Configuration, index: MachineIndex): Configuration[] {
  const moves: Configuration[] = [];
  configuration.threads.forEach((thread, position) => {
    const change = (edit: (copy: Configuration, copyThread: Thread) => void) => {
      const copy = cloneConfiguration(configuration);
      edit(copy, copy.threads[position] as Thread);
      moves.push(prune(copy, index));
    };
    if (thread.cancelPending && (thread.status === "ready" || thread.status === "waiting")) {
      const state = index.state(thread.at);
      change((copy, t) => raiseCancelled(copy, t, state));
    }
    if (thread.status === "ready") {
      const state = index.state(thread.at);
      switch (state.kind) {
        case "awaitChild": {
          // handle.result(): the child's end may be journaled already, or is still to come.
          const child = configuration.children[state.child];
          if (!child) break;
          change((_, t) => {
            if (child.outcome === "succeeded") advance(t, state);
            else if (child.outcome === "failed") raise(t, state);
            else {
              t.status = "waiting";
              t.op = child.op;
            }
          });
          break;
        }
        case "choice":
          for (const target of [...state.choices.map((rule) => rule.next), state.otherwise.next]) {
            change((_, t) => {
              t.at = target;
            });
          }
          break;
        case "succeed":
          change((_, t) => {
            t.status = "done";
          });
          break;
        case "fail":
          change((_, t) => raise(t, state));
          break;
        case "opaque":
          change((_, t) => advance(t, state));
          break;
        case "parallel":
          change((copy, t) => {
            t.status = "joining";
            for (const branch of state.branches) {
              copy.threads.push({ id: copy.nextThread++, parent: t.id, at: branch.startAt, status: "ready" });
            }
          });
          break;
        case "map":
          change((_, t) => {
            t.status = "joining";
          });
          break;
        default:
          break;
      }
    } else if (thread.status === "joining") {
      const state = index.state(thread.at) as ParallelState | MapState;
      const children = configuration.threads.filter((child) => child.parent === thread.id);
      if (state.kind === "map" && mayStartIteration(state, children)) {
        change((copy, t) => {
          copy.threads.push({
            id: copy.nextThread++,
            parent: t.id,
            at: state.iterator.startAt,
            status: "ready",
            fresh: true,
          });
        });
      }
      for (const outcome of joinOutcomes(thread, state, children)) {
        change((copy, t) => {
          for (const child of copy.threads) if (child.parent === t.id) delete child.parent;
          delete t.won;
          delete t.failedItems;
          if (outcome === "next") advance(t, state);
          else raise(t, state);
        });
      }
    }
  });
  return moves;
}

/** A new iteration may start when none is fresh and fewer than MaxConcurrency are in flight. */
function mayStartIteration(state: MapState, children: Thread[]): boolean {
  if (state.maxConcurrency === 1) return children.length === 0;
  if (
    state.maxConcurrency !== undefined &&
    state.maxConcurrency > 1 &&
    children.length >= state.maxConcurrency
  ) {
    return false;
  }
  return !children.some((child) => child.fresh);
}

/**
 * Whether a Parallel or Map may finish now, and how. Finished children have been
 * pruned (see {@link prune}), so "every branch done" is "no child left".
 */
function joinOutcomes(
  joining: Thread,
  state: ParallelState | MapState,
  children: Thread[],
): ("next" | "raise")[] {
  if (children.some((child) => child.status === "failed")) return ["raise"];
  if (state.kind === "parallel" && state.mode === "race") return joining.won ? ["next"] : [];
  const tolerance = state.kind === "map" ? state.toleratedFailures : undefined;
  const failed = joining.failedItems ?? 0;
  if (tolerance && "count" in tolerance) {
    // More failures than tolerated fail the Map at once; up to that many, it goes on.
    if (failed > tolerance.count) return ["raise"];
    return children.length === 0 ? ["next"] : [];
  }
  if (tolerance && failed > 0 && tolerance.percentage < 100) {
    // A share of an item count the machine does not know: failing and going on both fit.
    return children.length === 0 ? ["next", "raise"] : ["raise"];
  }
  return children.length === 0 ? ["next"] : [];
}

/**
 * Removes finished children: a done branch or iteration (a race records that it
 * has a winner), a failed one of `allSettled` (its failure is a result), and
 * finished orphans. Failed children of other joins stay until the join raises.
 */
export function prune(configuration: Configuration, index: MachineIndex): Configuration {
  const byId = new Map(configuration.threads.map((thread) => [thread.id, thread]));
  configuration.threads = configuration.threads.filter((thread) => {
    if (thread.id === 0) return true;
    // A race loser (or an update handler) that can issue no more operations changes
    // nothing the journal shows: it has ended, as far as the journal can tell.
    if (thread.parent === undefined && thread.status === "ready" && !index.mayIssue(thread.at)) return false;
    if (thread.status !== "done" && thread.status !== "failed") return true;
    if (thread.parent === undefined) return false;
    const parent = byId.get(thread.parent) as Thread;
    const state = index.state(parent.at);
    const mode =
      state.kind === "parallel"
        ? state.mode
        : state.kind === "map" && (state.toleratesFailures || state.toleratedFailures)
          ? "allSettled"
          : "all";
    if (thread.status === "done") {
      if (mode === "race") parent.won = true;
      return false;
    }
    if (mode === "allSettled" && state.kind === "map" && state.toleratedFailures) {
      parent.failedItems = (parent.failedItems ?? 0) + 1;
    }
    return mode !== "allSettled";
  });
  return configuration;
}
