/**
 * The state-machine IR: what the compiler builds from a workflow function and what
 * every emitter (ASL, Mermaid, DOT, SVG) and {@link verifyTrace} read. It is plain
 * data (JSON round-trips it), close to Amazon States Language but typed and with a
 * source location on every state.
 *
 * A {@link Machine} is a list of states and the id of the first. Transitions name
 * state ids; a missing `next` means the machine ends there (End: true in ASL).
 * Parallel branches and Map iterators are sub-machines of their own, as in ASL.
 */

/** A place in a source file: 1-based line and column. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

/**
 * An operation name as written: a string literal (`"reserve"`), or a template
 * literal over loop variables (`` `pack-${item}` ``), which is one state with a
 * parameterised name. `pattern` is a regular expression source that matches every
 * journaled name the state stands for.
 */
export interface OperationName {
  text: string;
  parameterised: boolean;
  pattern: string;
}

/**
 * A step's retry policy, resolved with the runtime's defaults (core's
 * DEFAULT_RETRY_POLICY). `maxAttempts` counts the first attempt, as in Stepline;
 * ASL's MaxAttempts is `maxAttempts - 1`. `known` is false when the options were
 * not literal: the values are then the defaults and a diagnostic says so.
 */
export interface RetrySpec {
  known: boolean;
  maxAttempts: number;
  intervalSeconds: number;
  backoffRate: number;
  maxDelaySeconds: number;
  jitter: "full" | "none";
  nonRetryable: string[];
}

interface StateBase {
  /** Unique in the whole workflow: `s1`, `s2`, ... in source order. */
  id: string;
  /** Unique in the whole workflow; the ASL state name and the diagram label. */
  name: string;
  loc: SourceLocation;
}

/** States that can be left by an error: they carry the enclosing `try`'s catch. */
interface Catchable {
  /** The state an error goes to (the `catch` handler), or none: the error propagates. */
  catch?: string;
}

/**
 * `await ctx.step(name, fn, { retry, timeout, heartbeatTimeout, totalTimeout })`, and
 * an undo step of `ctx.compensations()` run by `saga.run()`.
 */
export interface TaskState extends StateBase, Catchable {
  kind: "task";
  step: OperationName;
  retry: RetrySpec;
  /** Time limit of one attempt, from the step's `timeout` (whole seconds, rounded up). */
  timeoutSeconds?: number;
  /** Longest silence between two `info.heartbeat()` calls, from `heartbeatTimeout`. */
  heartbeatSeconds?: number;
  /** Limit across every attempt and backoff, from `totalTimeout`: ASL has no field for it. */
  totalTimeoutSeconds?: number;
  /** Set on an undo step of `saga.run()`: the `saga.add(...)` that registered it. */
  compensates?: { saga: string; continueOnError: boolean };
  next?: string;
}

/** `await ctx.sleep(name, duration)` or `await ctx.sleepUntil(name, date)`. */
export interface WaitState extends StateBase {
  kind: "wait";
  timer: OperationName;
  /** Set when the duration is a literal. */
  seconds?: number;
  /** The duration or date expression as written, when it is not a literal. */
  expression?: string;
  until: boolean;
  /**
   * Where a cancellation raised at this wait goes: the enclosing `try`'s handler. A
   * sleep cannot fail otherwise, so only verifyTrace's CancelRequested handling follows
   * it; it is a "cancel" edge, and in ASL the Wait is wrapped in a one-branch Parallel
   * whose Catch goes there (ASL Wait states take no Catch).
   */
  cancel?: string;
  next?: string;
}

/** `await ctx.waitForEvent(name, { timeout })`: a callback-token task. */
export interface EventState extends StateBase, Catchable {
  kind: "event";
  event: OperationName;
  timeoutSeconds?: number;
  next?: string;
}

/**
 * `await ctx.child(definition, input)`: starts a child workflow and waits for it.
 * With `detached`, `ctx.startChild(definition, input, options)`: starts it and goes
 * on at once; an {@link AwaitChildState} waits for its result later, or nothing does.
 */
export interface ChildState extends StateBase, Catchable {
  kind: "child";
  /** The child workflow's name; it is also the operation's name in the journal. */
  workflow: string;
  operation: OperationName;
  detached?: { parentClosePolicy: string };
  next?: string;
}

/**
 * `await handle.result()` on a handle from `ctx.startChild`: waits for that child's
 * ChildSucceeded or ChildFailed, which the journal may hold already. It issues no
 * operation of its own; `child` is the id of the start state the handle came from.
 */
export interface AwaitChildState extends StateBase, Catchable {
  kind: "awaitChild";
  child: string;
  /** The handle's variable name as written. */
  handle: string;
  next?: string;
}

/**
 * `return ctx.continueAsNew(input)`: ends this run with a ContinuedAsNew event; the
 * next run starts the same machine from its start with `input`.
 */
export interface ContinueAsNewState extends StateBase {
  kind: "continueAsNew";
  /** The next run's input expression as written. */
  input: string;
  next?: string;
}

/** One labelled way out of a Choice. */
export interface ChoiceRule {
  /** The condition's source text. */
  condition: string;
  next: string;
}

/** `if`, `switch`, `? :`, `&&` / `||` / `??` and loop tests around operations. */
export interface ChoiceState extends StateBase {
  kind: "choice";
  choices: ChoiceRule[];
  /** Where control goes when no rule holds; `label` is "else", "default" or the loop's exit. */
  otherwise: { label: string; next: string };
}

/** `Promise.all` / `allSettled` / `race` over operations: one branch per element. */
export interface ParallelState extends StateBase, Catchable {
  kind: "parallel";
  mode: "all" | "allSettled" | "race";
  branches: Machine[];
  next?: string;
}

/**
 * `for ... of`, `items.map(...)` and `ctx.map(name, items, fn, { concurrency,
 * toleratedFailures })` with operations inside: one iteration per item.
 */
export interface MapState extends StateBase, Catchable {
  kind: "map";
  /** The iterated expression as written. */
  items: string;
  /** A JSONPath for ASL, derived from `items`. */
  itemsPath: string;
  /**
   * 1 for `for ... of` (one at a time), 0 for unbounded, `concurrency` for ctx.map.
   * Undefined: a ctx.map whose concurrency the compiler could not read (a diagnostic
   * says so); ASL then has no MaxConcurrency, and verifyTrace bounds nothing.
   */
  maxConcurrency?: number;
  /** `Promise.allSettled(items.map(...))`: a failed iteration does not fail the Map. */
  toleratesFailures: boolean;
  /**
   * ctx.map's `toleratedFailures`: this many failed items (`count`), or this share of
   * the items (`percentage`, 0-100), before the Map fails. Absent: one fails it.
   */
  toleratedFailures?: { count: number } | { percentage: number };
  iterator: Machine;
  next?: string;
}

/** `return` at the workflow's top level, or the end of a branch a Choice leads to. */
export interface SucceedState extends StateBase {
  kind: "succeed";
  /** The returned expression as written. */
  output?: string;
}

/** `throw` that no enclosing `try` catches. */
export interface FailState extends StateBase {
  kind: "fail";
  /** The thrown expression as written. */
  error?: string;
}

/** Code the compiler could not follow; a diagnostic with the same location explains why. */
export interface OpaqueState extends StateBase {
  kind: "opaque";
  reason: string;
  next?: string;
}

export type State =
  | TaskState
  | WaitState
  | EventState
  | ChildState
  | AwaitChildState
  | ContinueAsNewState
  | ChoiceState
  | ParallelState
  | MapState
  | SucceedState
  | FailState
  | OpaqueState;

export type StateKind = State["kind"];

/** A state machine: the workflow's, or a Parallel branch's, or a Map iterator's. */
export interface Machine {
  startAt: string;
  states: State[];
}

/** The machine of one `workflow(name, fn)` in a file. */
export interface WorkflowMachine extends Machine {
  workflow: string;
  /** The exported binding that holds the definition, when there is one; `Orders.place` for a member of an exported class or object. */
  exportName?: string;
  loc: SourceLocation;
  /** The `ctx.onUpdate(name, handler)` handlers, each its own machine beside the main flow. */
  updates?: UpdateHandlerMachine[];
}

/**
 * A `ctx.onUpdate(name, async (args) => ...)` handler's body as a machine: verifyTrace
 * starts a thread at its start at each `UpdateAccepted { name }`, interleaved with the
 * body's, and `UpdateCompleted` needs that thread to have ended.
 */
export interface UpdateHandlerMachine extends Machine {
  /** The update's name, as `client.update(id, name, args)` gives it. */
  update: string;
  loc?: SourceLocation;
}

/** One transition, for drawing and for walking the graph. */
export interface Edge {
  to: string;
  kind: "next" | "choice" | "otherwise" | "catch";
  /** A condition's text, "else", "catch", ...; absent on plain sequence edges. */
  label?: string;
}

/**
 * The transitions out of a state within its own machine (a Parallel's branches and
 * a Map's iterator are reached through {@link subMachines}, not edges).
 *
 * @example
 * edgesOf({ id: "s1", kind: "task", name: "charge", next: "s2", catch: "s3", ... });
 * // [{ to: "s2", kind: "next" }, { to: "s3", kind: "catch", label: "catch" }]
 */
export function edgesOf(state: State): Edge[] {
  const edges: Edge[] = [];
  if (state.kind === "choice") {
    for (const rule of state.choices) edges.push({ to: rule.next, kind: "choice", label: rule.condition });
    edges.push({ to: state.otherwise.next, kind: "otherwise", label: state.otherwise.label });
    return edges;
  }
  if ("next" in state && state.next !== undefined) edges.push({ to: state.next, kind: "next" });
  if ("catch" in state && state.catch !== undefined) {
    edges.push({ to: state.catch, kind: "catch", label: "catch" });
  }
  // A cancellation at a sleep a `try` guards: a Catch in ASL (the Wait wrapped in a Parallel).
  if (state.kind === "wait" && state.cancel !== undefined) {
    edges.push({ to: state.cancel, kind: "catch", label: "cancel" });
  }
  return edges;
}

/**
 * The sub-machines a state contains: a Parallel's branches or a Map's iterator.
 *
 * @example
 * subMachines(parallelState).length; // one per branch
 */
export function subMachines(state: State): Machine[] {
  if (state.kind === "parallel") return state.branches;
  if (state.kind === "map") return [state.iterator];
  return [];
}

/**
 * Every state of a machine and of its sub-machines, depth first in list order.
 *
 * @example
 * const names = [...allStates(machine)].map((s) => s.name);
 */
export function* allStates(machine: Machine): Generator<State> {
  for (const state of machine.states) {
    yield state;
    for (const sub of subMachines(state)) yield* allStates(sub);
  }
}

/**
 * The state with this id in a machine or any of its sub-machines.
 *
 * @example
 * findState(machine, "s3")?.name; // "charge"
 */
export function findState(machine: Machine, id: string): State | undefined {
  for (const state of allStates(machine)) if (state.id === id) return state;
  return undefined;
}
