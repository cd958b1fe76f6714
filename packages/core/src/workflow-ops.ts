/**
 * The operations a WorkflowRun tracks (one per ctx call, by op index) and the small
 * rules about journal events that replay needs. Internal to the replay engine.
 */
import type { JournalEvent } from "./events.js";
import type { ParentClosePolicy } from "./parent-close-policy.js";
import type { ResolvedRetryPolicy } from "./retry-policy.js";
import type { StepInfo } from "./workflow.js";

export type OpKind = "step" | "sleep" | "waitForEvent" | "child";

export interface OpBase {
  op: number;
  kind: OpKind;
  /** The step identity (name, or name#n for a repeated name). */
  name: string;
  settled: boolean;
  /** The promise the code awaits, and its resolvers; settle it through WorkflowRun.#settle. */
  promise: Promise<never>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** A step the worker should run now or at `notBefore`. */
export interface RunnableStep {
  op: number;
  name: string;
  attempt: number;
  /** Epoch ms before which the attempt must not start (a retry's backoff). */
  notBefore: number;
  /** False when the worker must append StepScheduled for this attempt first. */
  scheduled: boolean;
  fn: (info: StepInfo) => unknown;
  policy: ResolvedRetryPolicy;
  timeoutMs: number | undefined;
  /** The step options `totalTimeout` and `heartbeatTimeout`, in ms (heartbeats.ts). */
  totalTimeoutMs?: number | undefined;
  heartbeatTimeoutMs?: number | undefined;
  /** When the first attempt was journaled (StepScheduled `at`): the start of `totalTimeout`. */
  firstAt?: number | undefined;
  /** The details of the latest StepHeartbeat of an earlier attempt (`info.lastHeartbeat`). */
  lastHeartbeat?: unknown;
  /** The step option: interrupted attempts allowed before the step fails with StepInterruptedError. */
  maxInterruptions: number;
  /** Attempts that failed before this one; `policy.maxAttempts` bounds these. */
  failures: number;
  /** Attempts that were interrupted before this one (their worker died). */
  interruptions: number;
}

export interface StepOp extends OpBase {
  kind: "step";
  fn: (info: StepInfo) => unknown;
  policy: ResolvedRetryPolicy;
  timeoutMs: number | undefined;
  totalTimeoutMs?: number | undefined;
  heartbeatTimeoutMs?: number | undefined;
  maxInterruptions: number;
  /** What the worker should do next, or null while an attempt runs or nothing is due. */
  next: Omit<
    RunnableStep,
    | "op"
    | "name"
    | "fn"
    | "policy"
    | "timeoutMs"
    | "totalTimeoutMs"
    | "heartbeatTimeoutMs"
    | "maxInterruptions"
  > | null;
}

export interface TimerOp extends OpBase {
  kind: "sleep";
  fireAt: number;
}

export interface WaitOp extends OpBase {
  kind: "waitForEvent";
  /** The event name it waits for; `name` is the op identity, which gets `#n` when repeated. */
  event: string;
  timeoutAt: number | undefined;
  /** Completions delivered to the code before it issued this wait (event-delivery.ts). */
  generation: number;
}

/**
 * An unsettled event wait, as the runner sees it. `name` is the event name to match in
 * the inbox, not the op identity (a second wait for "item" is op "item#2").
 */
export interface PendingWait {
  op: number;
  name: string;
  timeoutAt: number | undefined;
  generation: number;
}

export interface ChildOp extends OpBase {
  kind: "child";
  workflow: string;
  childId: string;
  input: unknown;
  parentClosePolicy: ParentClosePolicy;
  /** `ChildOptions.executionTimeout` in ms, for the child's ExecutionStarted. */
  timeoutMs?: number;
  /** Set by ctx.startChild: resolves the handle's start when ChildStarted is dispatched. */
  onStarted?: () => void;
}

export type Op = StepOp | TimerOp | WaitOp | ChildOp;

/** A child execution the run waits for; `started` once ChildStarted is journaled. */
export interface PendingChild {
  op: number;
  name: string;
  workflow: string;
  version: number;
  childId: string;
  input: unknown;
  started: boolean;
  parentClosePolicy: ParentClosePolicy;
  /** The child's executionTimeout in ms, when the code gave one. */
  timeoutMs?: number;
}

export interface RecordedOp {
  kind: OpKind;
  name: string;
  event: JournalEvent;
}

/** How the workflow function ended. */
export type RunOutcome =
  | { type: "succeeded"; output: unknown }
  | { type: "failed"; error: unknown }
  | { type: "continued"; input: unknown };

export const SCHEDULING_KIND: Partial<Record<JournalEvent["type"], OpKind>> = {
  StepScheduled: "step",
  TimerStarted: "sleep",
  EventWaitStarted: "waitForEvent",
  ChildStarted: "child",
};

/**
 * Adds an op kind's own fields to the common ones, in place: replay creates one op
 * per journaled operation, and copying with object spread cost more than the rest
 * of the replay (bench/run.ts, replay of a 10,000-event journal).
 */
export function extend<T extends Op>(base: OpBase, fields: Omit<T, keyof OpBase>): T {
  return Object.assign(base, fields) as T;
}

export function isCompletion(event: JournalEvent): boolean {
  switch (event.type) {
    case "StepSucceeded":
    case "TimerFired":
    case "EventReceived":
    case "EventWaitTimedOut":
    case "ChildSucceeded":
    case "ChildFailed":
    case "CancelRequested": // moves the code like a completion (cancellation.ts)
    case "UpdateAccepted": // starts the update's handler (updates.ts)
      return true;
    case "ChildStarted":
      // ctx.startChild's await ends here: replay delivers it in order like any completion.
      return event.detached === true;
    case "StepFailed":
      // A final failure that a redrive set aside is not one either (WorkflowRun checks).
      return event.retryAt === undefined;
    default:
      return false;
  }
}

/** The earliest time one of these ops becomes due: a step's next attempt, a timer, a wait's timeout. */
export function earliestDueAt(ops: Iterable<Op>): number | null {
  let min: number | null = null;
  for (const op of ops) {
    if (op.settled) continue;
    const at =
      op.kind === "step"
        ? op.next?.notBefore
        : op.kind === "sleep"
          ? op.fireAt
          : op.kind === "waitForEvent"
            ? op.timeoutAt
            : undefined;
    if (at !== undefined && (min === null || at < min)) min = at;
  }
  return min;
}

export function describeOp(kind: OpKind, name: string): string {
  return `${kind} "${name}"`;
}

/** The attempt `next` of a step op, as the worker runs it (WorkflowRun.takeRunnableSteps). */
export function runnableStep(step: StepOp, next: NonNullable<StepOp["next"]>): RunnableStep {
  const { op, name, fn, policy, timeoutMs, totalTimeoutMs, heartbeatTimeoutMs, maxInterruptions } = step;
  return { op, name, fn, policy, timeoutMs, totalTimeoutMs, heartbeatTimeoutMs, maxInterruptions, ...next };
}
