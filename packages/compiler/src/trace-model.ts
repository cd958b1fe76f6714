import type { Machine, MapState, ParallelState, State } from "./ir.js";
import { subMachines } from "./ir.js";

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
}

/** A possible state of the whole execution, given the journal so far. */
export interface Configuration {
  threads: Thread[];
  nextThread: number;
  /** The `#n` occurrences journaled per raw name, for the identity check. */
  counts: Record<string, number[]>;
  /** Which state each operation was matched to (not part of the identity of a configuration). */
  bound: Record<number, string>;
}

/** The states of a machine by id, and the machine each belongs to. */
export class MachineIndex {
  readonly states = new Map<string, State>();
  readonly #owner = new Map<string, Machine>();

  constructor(root: Machine) {
    const visit = (machine: Machine) => {
      for (const state of machine.states) {
        this.states.set(state.id, state);
        this.#owner.set(state.id, machine);
        for (const sub of subMachines(state)) visit(sub);
      }
    };
    visit(root);
  }

  state(id: string): State {
    const state = this.states.get(id);
    if (!state) throw new Error(`verifyTrace: the machine has no state "${id}"`);
    return state;
  }
}

/** A key that is equal for configurations that behave the same from here on. */
export function configurationKey(configuration: Configuration): string {
  const { threads, counts } = configuration;
  return JSON.stringify([threads, counts]);
}

/** A copy that can be changed without touching the original. */
export function cloneConfiguration(configuration: Configuration): Configuration {
  return {
    threads: configuration.threads.map((thread) => ({ ...thread })),
    nextThread: configuration.nextThread,
    counts: { ...configuration.counts },
    bound: { ...configuration.bound },
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

/** The thread leaves its operation: ready at `target`, or `ending` when there is none. */
function leave(thread: Thread, target: string | undefined, ending: "done" | "failed"): void {
  delete thread.op;
  delete thread.attempt;
  delete thread.retrying;
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

/** The configurations one silent move away. */
function silentMoves(configuration: Configuration, index: MachineIndex): Configuration[] {
  const moves: Configuration[] = [];
  configuration.threads.forEach((thread, position) => {
    const change = (edit: (copy: Configuration, copyThread: Thread) => void) => {
      const copy = cloneConfiguration(configuration);
      edit(copy, copy.threads[position] as Thread);
      moves.push(prune(copy, index));
    };
    if (thread.status === "ready") {
      const state = index.state(thread.at);
      switch (state.kind) {
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
      const outcome = joinOutcome(thread, state, children);
      if (outcome) {
        change((copy, t) => {
          for (const child of copy.threads) if (child.parent === t.id) delete child.parent;
          delete t.won;
          if (outcome === "next") advance(t, state);
          else raise(t, state);
        });
      }
    }
  });
  return moves;
}

function mayStartIteration(state: MapState, children: Thread[]): boolean {
  if (state.maxConcurrency === 1) return children.length === 0;
  return !children.some((child) => child.fresh);
}

/**
 * Whether a Parallel or Map may finish now, and how. Finished children have been
 * pruned (see {@link prune}), so "every branch done" is "no child left".
 */
function joinOutcome(
  joining: Thread,
  state: ParallelState | MapState,
  children: Thread[],
): "next" | "raise" | undefined {
  if (children.some((child) => child.status === "failed")) return "raise";
  if (state.kind === "parallel" && state.mode === "race") return joining.won ? "next" : undefined;
  return children.length === 0 ? "next" : undefined;
}

/**
 * Removes finished children: a done branch or iteration (a race records that it
 * has a winner), a failed one of `allSettled` (its failure is a result), and
 * finished orphans. Failed children of other joins stay until the join raises.
 */
export function prune(configuration: Configuration, index: MachineIndex): Configuration {
  const byId = new Map(configuration.threads.map((thread) => [thread.id, thread]));
  configuration.threads = configuration.threads.filter((thread) => {
    if (thread.id === 0 || (thread.status !== "done" && thread.status !== "failed")) return true;
    if (thread.parent === undefined) return false;
    const parent = byId.get(thread.parent) as Thread;
    const state = index.state(parent.at);
    const mode =
      state.kind === "parallel"
        ? state.mode
        : state.kind === "map" && state.toleratesFailures
          ? "allSettled"
          : "all";
    if (thread.status === "done") {
      if (mode === "race") parent.won = true;
      return false;
    }
    return mode !== "allSettled";
  });
  return configuration;
}
