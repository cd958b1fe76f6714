/**
 * The journal: one discriminated union of events. Each is `{ seq, at, type, ... }`,
 * `seq` counting from 0 without gaps, `at` in epoch milliseconds.
 *
 * `op` is the operation index: the n-th context call the workflow code made. A
 * scheduling event (StepScheduled, TimerStarted, EventWaitStarted) records that the
 * code asked for op n; a completion event resolves it. docs/journal.md describes each.
 */

/** An error as it is journaled: enough to rebuild the same class, name and message. */
export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  stack?: string;
  /** Own enumerable fields of the error that encode as plain data. */
  data?: Record<string, unknown>;
  cause?: SerializedError;
}

export type ExecutionStarted = {
  type: "ExecutionStarted";
  workflow: string;
  version: number;
  input: unknown;
  /** Seed of `ctx.random()` and `ctx.ulid()`, fixed for the life of the execution. */
  seed: number;
  /** The parent execution, for a child started by `ctx.child`. */
  parent?: string;
  /** The parent's op that started this child (absent in journals written before it was recorded). */
  parentOp?: number;
  /** The run of the execution this journal is: 1 for the first, absent in journals written before runs. */
  run?: number;
  /** Epoch ms at which the execution times out (`client.start(..., { executionTimeout })`). */
  timeoutAt?: number;
  /** Runs after the first: every inbox seq below this one was consumed by an earlier run (continue-as-new.ts). */
  inboxFrom?: number;
  /** Runs after the first: inbox seqs at or above `inboxFrom` that an earlier run consumed. */
  inboxConsumed?: number[];
  /**
   * Fingerprint of the starting process's workflow function source (code-fingerprint.ts):
   * read only to word a NonDeterminismError. Absent when that process had only the name.
   */
  codeHash?: string;
  /**
   * The W3C trace context (`traceparent`, `tracestate`) of the `client.start` caller, when
   * telemetry is on and a trace was active (for a child: of the parent attempt that
   * started it): the execution's spans join that trace
   * (telemetry.ts, docs/observability.md "Tracing"). Carried over to later runs.
   */
  traceContext?: Record<string, string>;
};
export type StepScheduled = { type: "StepScheduled"; op: number; name: string; attempt: number };
/**
 * The latest `info.heartbeat(details)` of a running attempt, journaled at most every
 * so often; the next attempt reads it as `info.lastHeartbeat`.
 */
export type StepHeartbeat = { type: "StepHeartbeat"; op: number; attempt: number; details: unknown };
export type StepSucceeded = { type: "StepSucceeded"; op: number; result: unknown; attempt: number };
export type StepFailed = {
  type: "StepFailed";
  op: number;
  error: SerializedError;
  attempt: number;
  /** Set when another attempt will run at this time; absent when the step failed for good. */
  retryAt?: number;
};
export type TimerStarted = { type: "TimerStarted"; op: number; name: string; fireAt: number };
export type TimerFired = { type: "TimerFired"; op: number };
export type EventWaitStarted = {
  type: "EventWaitStarted";
  op: number;
  name: string;
  timeoutAt?: number;
};
export type EventReceived = {
  type: "EventReceived";
  op: number;
  payload: unknown;
  /** Position of the consumed event in the execution's inbox. */
  inboxSeq: number;
};
export type EventWaitTimedOut = { type: "EventWaitTimedOut"; op: number };
/** A child execution was started (or found, when it already existed) for op `op`. */
export type ChildStarted = {
  type: "ChildStarted";
  op: number;
  /** The op identity: the child's workflow name, `name#n` when repeated. */
  name: string;
  workflow: string;
  childId: string;
  /**
   * Set by `ctx.startChild`: the parent's code goes on once this is journaled (the
   * handle's start resolves here, so replay delivers it like a completion). Absent for
   * `ctx.child`, whose await is for the child's end.
   */
  detached?: true;
  /** What the parent's end does to the child still running; absent means "cancel" (parent-close-policy.ts). */
  parentClosePolicy?: "terminate" | "abandon";
};
export type ChildSucceeded = { type: "ChildSucceeded"; op: number; result: unknown };
export type ChildFailed = { type: "ChildFailed"; op: number; error: SerializedError };
export type ExecutionSucceeded = { type: "ExecutionSucceeded"; output: unknown };
export type ExecutionFailed = {
  type: "ExecutionFailed";
  error: SerializedError;
  /**
   * Ops of the steps whose final failure ended the run: the code issued no operation
   * after it. A redrive runs these again (redriven-failures.ts).
   */
  failedSteps?: number[];
};
export type ExecutionCancelled = { type: "ExecutionCancelled"; reason?: string };
/**
 * `client.cancel`: journaled by the worker that learns of the request. Replay raises
 * CancelledError at the ops pending then; code in `catch`/`finally` runs on.
 */
export type CancelRequested = { type: "CancelRequested"; reason?: string };
/** `client.terminate`: written by the store itself; no workflow code runs after it. */
export type ExecutionTerminated = { type: "ExecutionTerminated"; reason?: string };
/** The execution reached its `executionTimeout` (`ExecutionStarted.timeoutAt`). */
export type ExecutionTimedOut = { type: "ExecutionTimedOut"; timeoutMs: number };
/**
 * `ctx.continueAsNew(input)`: ends this run; run `run + 1` of the same execution id
 * starts with a fresh journal whose ExecutionStarted has this input.
 */
export type ContinuedAsNew = { type: "ContinuedAsNew"; input: unknown; nextRun: number };
/**
 * `client.redrive`: a failed execution goes on from the steps that failed. Written
 * right after the ExecutionFailed it undoes; that failure is then not terminal.
 */
export type ExecutionRedriven = { type: "ExecutionRedriven"; reason?: string };
/**
 * `ctx.patched(patch)` (or `ctx.deprecatePatch(patch)`) ran live past this point for the
 * first time in this run: replay answers `patched(patch)` true from it (patching.ts).
 * It takes no op index: `atOp` is the index the code's next operation got, and a
 * journal without the marker replays the same ops.
 */
export type PatchApplied = { type: "PatchApplied"; patch: string; atOp: number; deprecated?: true };
/**
 * `ctx.setAttributes(attributes)` ran live: the update as given (`null` removes a name),
 * merged over the earlier ones into the record's search attributes (attributes.ts). It
 * takes no op index, as PatchApplied; replay writes nothing for it.
 */
export type AttributesSet = {
  type: "AttributesSet";
  attributes: Record<string, string | number | boolean | null>;
};

/**
 * `client.update` reached the code: a worker took inbox entry `inboxSeq` (an update
 * request) and the code's `ctx.onUpdate(name)` handler, its validator passing, starts
 * with `args`. It takes no op index; replay delivers it like a completion, and the
 * operations the handler issues get the next op indices (updates.ts).
 */
export type UpdateAccepted = {
  type: "UpdateAccepted";
  updateId: string;
  name: string;
  args: unknown;
  inboxSeq: number;
};
/**
 * An update request was refused where it was delivered: no handler of its name was
 * registered, or its validator threw. Nothing ran; the caller gets `error`.
 */
export type UpdateRejected = {
  type: "UpdateRejected";
  updateId: string;
  name: string;
  inboxSeq: number;
  error: SerializedError;
};
/** The handler of an accepted update returned `result` or threw `error`: what `client.update` returns. */
export type UpdateCompleted = {
  type: "UpdateCompleted";
  updateId: string;
  result?: unknown;
  error?: SerializedError;
};

type Body =
  | ExecutionStarted
  | StepScheduled
  | StepSucceeded
  | StepFailed
  | TimerStarted
  | TimerFired
  | EventWaitStarted
  | EventReceived
  | EventWaitTimedOut
  | ChildStarted
  | ChildSucceeded
  | ChildFailed
  | ExecutionSucceeded
  | ExecutionFailed
  | ExecutionCancelled
  | ExecutionRedriven
  | StepHeartbeat
  | CancelRequested
  | ExecutionTerminated
  | ExecutionTimedOut
  | ContinuedAsNew
  | PatchApplied
  | AttributesSet
  | UpdateAccepted
  | UpdateRejected
  | UpdateCompleted;

/** An event body before the store has given it a place in the journal. */
export type NewEvent = Body;

/** One journal entry. */
export type JournalEvent = Body & { seq: number; at: number };

export type EventType = JournalEvent["type"];
export type EventOfType<T extends EventType> = Extract<JournalEvent, { type: T }>;

/**
 * One handler per event type. Adding an event type to the union makes every
 * consumer written as an `EventHandlers` object a compile error until it handles it.
 */
export type EventHandlers<R> = { [T in EventType]: (event: EventOfType<T>) => R };

/** Calls the handler for `event.type`. */
export function dispatchEvent<R>(event: JournalEvent, handlers: EventHandlers<R>): R {
  return (handlers[event.type] as (e: JournalEvent) => R)(event);
}

/** Every event type, in the order docs/journal.md lists them. */
export const EVENT_TYPES: readonly EventType[] = [
  "ExecutionStarted",
  "StepScheduled",
  "StepSucceeded",
  "StepFailed",
  "TimerStarted",
  "TimerFired",
  "EventWaitStarted",
  "EventReceived",
  "EventWaitTimedOut",
  "ChildStarted",
  "ChildSucceeded",
  "ChildFailed",
  "ExecutionSucceeded",
  "ExecutionFailed",
  "ExecutionCancelled",
  "ExecutionRedriven",
  "StepHeartbeat",
  "CancelRequested",
  "ExecutionTerminated",
  "ExecutionTimedOut",
  "ContinuedAsNew",
  "PatchApplied",
  "AttributesSet",
  "UpdateAccepted",
  "UpdateRejected",
  "UpdateCompleted",
];

/** Events that end an execution. */
export function isTerminalEvent(event: JournalEvent): event is EventOfType<TerminalEventType> {
  return TERMINAL_EVENT_TYPES.has(event.type);
}

/**
 * The events that end an execution. ContinuedAsNew ends a run but not the execution
 * (the next run goes on under the same id), so it is not one of them.
 */
export type TerminalEventType =
  | "ExecutionSucceeded"
  | "ExecutionFailed"
  | "ExecutionCancelled"
  | "ExecutionTerminated"
  | "ExecutionTimedOut";

const TERMINAL_EVENT_TYPES: ReadonlySet<EventType> = new Set<TerminalEventType>([
  "ExecutionSucceeded",
  "ExecutionFailed",
  "ExecutionCancelled",
  "ExecutionTerminated",
  "ExecutionTimedOut",
]);
