/**
 * The rules a journal must keep for the replay engine to read it: the shape of every
 * event, seq order, and the life of every operation (scheduled once, completed at most
 * once, by a completion of its own kind, attempts increasing, nothing after the end).
 * A journal the engine wrote keeps them by construction; one that arrives from outside
 * (`stepline import`, a hand-edited golden file, a future compiler fixture) is checked
 * with {@link checkJournal} before anything trusts it.
 *
 * Pure: no I/O, no clock. Value fields (`input`, `result`, `output`, `payload`) may be
 * absent: JSON has no `undefined`, so an exported `.json` journal drops them, and the
 * engine reads an absent value as `undefined`.
 */
import { attributesFieldProblem } from "./attributes.js";
import type { EventType, JournalEvent } from "./events.js";
import type { OpKind } from "./workflow-ops.js";

/** The verdict of {@link checkJournal}: ok, or the first bad event and what is wrong with it. */
export type JournalCheck =
  | { ok: true }
  | {
      ok: false;
      /** Position of the first bad event in the array (its seq, when the seq is right). */
      seq: number;
      /** Its `type` as found (`"?"` when it has none). */
      type: string;
      /** What is wrong and what was expected, one sentence: "refers to op 3, which ...". */
      problem: string;
      /** `event 5 (StepSucceeded) refers to op 3, ...`: the problem with the event named. */
      message: string;
    };

/** Options of {@link checkJournal}. */
export interface JournalCheckOptions {
  /**
   * The number of inbox entries that go with the journal, when known: every
   * `EventReceived.inboxSeq` must then be below it.
   */
  inboxLength?: number;
}

/** What the checker knows of one operation while it reads the journal. */
interface OpState {
  kind: OpKind;
  name: string;
  /** Highest attempt journaled so far (steps). */
  attempt: number;
  completed: boolean;
  /** A step that failed for good (a final StepFailed): what a redrive may set aside. */
  failed?: boolean;
}

interface CheckState {
  ops: Map<number, OpState>;
  consumedInbox: Set<number>;
  /** The seq of the terminal event, once one was read (cleared by a redrive). */
  endedAt: number | undefined;
  /** The type of that terminal event. */
  endedBy: EventType | undefined;
  /** `ExecutionFailed.failedSteps` of the last failure: the steps a redrive runs again. */
  failedSteps: readonly number[] | undefined;
  /**
   * Ops of the final step failures of this run after which nothing was scheduled: the
   * ones a redrive sets aside when `failedSteps` is absent (redriven-failures.ts, the
   * rule replay applies).
   */
  unhandledFailures: number[];
  inboxLength: number | undefined;
  /** The run the journal is (ExecutionStarted `run`, absent = 1): ContinuedAsNew names the next. */
  run?: number;
  /** The seq of the CancelRequested, once one was read (there is at most one). */
  cancelRequestedAt?: number;
  /** Seq of the PatchApplied of each patch id read so far (at most one each). */
  patches?: Map<string, number>;
  /** Update ids decided so far: running (accepted, not completed) or completed (or rejected). */
  updates?: Map<string, "running" | "completed">;
}

/** A rule: undefined when the event keeps it, else the problem (what is wrong, what was expected). */
type Rule<T extends EventType> = (
  event: Extract<JournalEvent, { type: T }> & Record<string, unknown>,
  state: CheckState,
) => string | undefined;

/**
 * Checks a journal against the rules replay relies on and returns the first event
 * that breaks one: entry 0 is ExecutionStarted with its fields; seqs run 0..n-1;
 * every event has its required fields with the right types and finite times; every
 * completion refers to an operation scheduled earlier, of the matching kind, not yet
 * completed; a step's attempts increase; nothing follows the terminal event; an
 * unknown event type is an error (this engine could not replay it).
 *
 * @example
 * const verdict = checkJournal(events);
 * if (!verdict.ok) throw new Error(verdict.message);
 * // "event 4 (StepSucceeded) refers to op 2, which no event before it scheduled; expected a StepScheduled for op 2 before it"
 */
export function checkJournal(events: readonly unknown[], options: JournalCheckOptions = {}): JournalCheck {
  if (!Array.isArray(events) || events.length === 0) {
    return bad(0, "?", "is missing: the journal is empty; expected ExecutionStarted as entry 0");
  }
  const state: CheckState = {
    ops: new Map(),
    consumedInbox: new Set(),
    endedAt: undefined,
    endedBy: undefined,
    failedSteps: undefined,
    unhandledFailures: [],
    inboxLength: options.inboxLength,
  };
  for (let index = 0; index < events.length; index++) {
    const value = events[index];
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      return bad(index, "?", `is ${describe(value)}; expected an event object`);
    }
    const event = value as Record<string, unknown>;
    const type = typeof event.type === "string" ? event.type : "?";
    const problem = checkEvent(event, index, state);
    if (problem) return bad(index, type, problem);
  }
  return { ok: true };
}

function checkEvent(event: Record<string, unknown>, index: number, state: CheckState): string | undefined {
  if (typeof event.type !== "string") return `has ${field("type", event.type)}; expected an event type name`;
  if (event.seq !== index) return `has ${field("seq", event.seq)}; expected seq ${index} (seqs run 0..n-1)`;
  const at = time("at", event.at);
  if (at) return at;
  if (index === 0 && event.type !== "ExecutionStarted") {
    return "is the first event; expected ExecutionStarted as entry 0";
  }
  if (index > 0 && event.type === "ExecutionStarted") {
    return "starts the execution again; ExecutionStarted is only entry 0";
  }
  if (state.endedAt !== undefined && event.type !== "ExecutionRedriven") {
    // A redrive reopens a failed execution: its rule below checks what it follows and
    // clears `endedAt`; every other event after the end is refused here.
    return `follows the terminal event ${state.endedAt}; expected nothing after the end`;
  }
  const rule = (RULES as Record<string, Rule<EventType> | undefined>)[event.type];
  if (!rule) {
    return `has an unknown type "${event.type}"; expected one of ${Object.keys(RULES).join(", ")}`;
  }
  const problem = rule(event as never, state);
  if (!problem && SCHEDULING.has(event.type)) state.unhandledFailures = [];
  return problem;
}

/** Events that schedule an operation: a final failure before one was handled by the code. */
const SCHEDULING: ReadonlySet<string> = new Set([
  "StepScheduled",
  "TimerStarted",
  "EventWaitStarted",
  "ChildStarted",
]);

const RULES: { [T in EventType]: Rule<T> } = {
  ExecutionStarted: (e, s) =>
    nonEmptyString("workflow", e.workflow) ??
    integer("version", e.version) ??
    finiteNumber("seed", e.seed) ??
    (e.parent === undefined ? undefined : nonEmptyString("parent", e.parent)) ??
    (e.timeoutAt === undefined ? undefined : time("timeoutAt", e.timeoutAt)) ??
    (e.codeHash === undefined ? undefined : nonEmptyString("codeHash", e.codeHash)) ??
    (e.traceContext === undefined ? undefined : stringRecord("traceContext", e.traceContext)) ??
    runFields(e, s),
  StepScheduled: (e, s) => {
    const shape = opIndex(e.op) ?? nonEmptyString("name", e.name) ?? positiveInteger("attempt", e.attempt);
    if (shape) return shape;
    const op = s.ops.get(e.op);
    if (!op) {
      s.ops.set(e.op, { kind: "step", name: e.name, attempt: e.attempt, completed: false });
      return undefined;
    }
    const again = reopened(e.op, op, "step", e.name);
    if (again) return again;
    if (e.attempt <= op.attempt) {
      return `schedules attempt ${e.attempt} of step "${op.name}" (op ${e.op}) after attempt ${op.attempt}; expected attempts to increase`;
    }
    op.attempt = e.attempt;
    return undefined;
  },
  StepSucceeded: (e, s) => stepOutcome(e, s, true),
  StepFailed: (e, s) => {
    const problem =
      serializedError("error", e.error) ??
      (e.retryAt === undefined ? undefined : time("retryAt", e.retryAt)) ??
      stepOutcome(e, s, e.retryAt === undefined);
    if (!problem && e.retryAt === undefined) {
      (s.ops.get(e.op) as OpState).failed = true;
      s.unhandledFailures.push(e.op);
    }
    return problem;
  },
  TimerStarted: (e, s) =>
    opIndex(e.op) ?? nonEmptyString("name", e.name) ?? time("fireAt", e.fireAt) ?? scheduled(e, s, "sleep"),
  TimerFired: (e, s) => completes(e, s, "sleep"),
  EventWaitStarted: (e, s) =>
    opIndex(e.op) ??
    nonEmptyString("name", e.name) ??
    (e.timeoutAt === undefined ? undefined : time("timeoutAt", e.timeoutAt)) ??
    scheduled(e, s, "waitForEvent"),
  EventReceived: (e, s) => {
    const shape = opIndex(e.op) ?? nonNegativeInteger("inboxSeq", e.inboxSeq);
    if (shape) return shape;
    if (s.consumedInbox.has(e.inboxSeq)) {
      return `consumes inbox entry ${e.inboxSeq} a second time; expected each inbox entry to be received once`;
    }
    if (s.inboxLength !== undefined && e.inboxSeq >= s.inboxLength) {
      return `consumes inbox entry ${e.inboxSeq}, but the inbox has ${s.inboxLength} entries; expected an inboxSeq below ${s.inboxLength}`;
    }
    const problem = completes(e, s, "waitForEvent");
    if (!problem) s.consumedInbox.add(e.inboxSeq);
    return problem;
  },
  EventWaitTimedOut: (e, s) => completes(e, s, "waitForEvent"),
  ChildStarted: (e, s) =>
    opIndex(e.op) ??
    nonEmptyString("name", e.name) ??
    nonEmptyString("workflow", e.workflow) ??
    nonEmptyString("childId", e.childId) ??
    (e.detached === undefined || e.detached === true
      ? undefined
      : `has ${field("detached", e.detached)}; expected true`) ??
    (e.parentClosePolicy === undefined ||
    e.parentClosePolicy === "terminate" ||
    e.parentClosePolicy === "abandon"
      ? undefined
      : `has ${field("parentClosePolicy", e.parentClosePolicy)}; expected "terminate" or "abandon" (no field for "cancel")`) ??
    scheduled(e, s, "child"),
  ChildSucceeded: (e, s) => completes(e, s, "child"),
  ChildFailed: (e, s) => serializedError("error", e.error) ?? completes(e, s, "child"),
  ExecutionSucceeded: (e, s) => ends(e, s),
  ExecutionFailed: (e, s) => {
    const problem = serializedError("error", e.error) ?? failedSteps(e.failedSteps);
    if (problem) return problem;
    s.failedSteps = e.failedSteps;
    return ends(e, s);
  },
  ExecutionRedriven: (e, s) => {
    if (e.reason !== undefined) {
      const reason = string("reason", e.reason);
      if (reason) return reason;
    }
    if (s.endedBy !== "ExecutionFailed") {
      return s.endedAt === undefined
        ? "redrives an execution that has not ended; expected it only right after ExecutionFailed"
        : `redrives an execution that ended with ${s.endedBy}; expected it only after ExecutionFailed`;
    }
    // The final failures that ended the run are set aside and those steps run again: the
    // ones ExecutionFailed names, else those after which nothing was scheduled.
    for (const index of s.failedSteps ?? s.unhandledFailures) {
      const op = s.ops.get(index);
      if (op?.kind === "step" && op.failed) {
        op.completed = false;
        op.failed = false;
      }
    }
    s.endedAt = undefined;
    s.endedBy = undefined;
    s.failedSteps = undefined;
    s.unhandledFailures = [];
    return undefined;
  },
  ExecutionCancelled: (e, s) =>
    (e.reason === undefined ? undefined : string("reason", e.reason)) ?? ends(e, s),
  // The lifecycle events (issue 10): checked loosely until their features land.
  StepHeartbeat: (e, s) => {
    const shape = opIndex(e.op) ?? positiveInteger("attempt", e.attempt);
    if (shape) return shape;
    const op = s.ops.get(e.op);
    if (op?.kind !== "step") {
      const what = op ? `is ${describeOp(op)}` : "no event before it scheduled";
      return `is a heartbeat of op ${e.op}, which ${what}; expected a StepScheduled for op ${e.op} before it`;
    }
    if (op.completed) return `is a heartbeat of ${describeOp(op)} (op ${e.op}) after it completed`;
    if (e.attempt !== op.attempt) {
      return `is a heartbeat of attempt ${e.attempt} of ${describeOp(op)} while attempt ${op.attempt} is the one scheduled; expected attempt ${op.attempt}`;
    }
    return undefined;
  },
  CancelRequested: (e, s) => {
    const shape = e.reason === undefined ? undefined : string("reason", e.reason);
    if (shape) return shape;
    if (s.cancelRequestedAt !== undefined) {
      return `requests cancellation again (event ${s.cancelRequestedAt} did); expected at most one CancelRequested, the worker journals the first request only`;
    }
    s.cancelRequestedAt = e.seq;
    return undefined;
  },
  ExecutionTerminated: (e, s) =>
    (e.reason === undefined ? undefined : string("reason", e.reason)) ?? ends(e, s),
  ExecutionTimedOut: (e, s) => nonNegativeNumber("timeoutMs", e.timeoutMs) ?? ends(e, s),
  ContinuedAsNew: (e, s) =>
    e.nextRun !== (s.run ?? 1) + 1
      ? `has ${field("nextRun", e.nextRun)}; expected ${(s.run ?? 1) + 1}, the run after this journal's run ${s.run ?? 1}`
      : ends(e, s),
  PatchApplied: (e, s) => {
    const shape =
      nonEmptyString("patch", e.patch) ??
      nonNegativeInteger("atOp", e.atOp) ??
      (e.deprecated === undefined || e.deprecated === true
        ? undefined
        : `has ${field("deprecated", e.deprecated)}; expected true or no such field`);
    if (shape) return shape;
    s.patches ??= new Map();
    const earlier = s.patches.get(e.patch);
    if (earlier !== undefined) {
      return `marks patch "${e.patch}" again (event ${earlier} did); expected one PatchApplied per patch in a run`;
    }
    s.patches.set(e.patch, e.seq);
    return undefined;
  },
  AttributesSet: (e) => attributesFieldProblem(e.attributes),
  UpdateAccepted: (e, s) => {
    const problem = nonEmptyString("name", e.name) ?? updateDecided(e, s);
    if (problem) return problem;
    s.updates ??= new Map();
    s.updates.set(e.updateId, "running");
    return undefined;
  },
  UpdateRejected: (e, s) =>
    nonEmptyString("name", e.name) ?? serializedError("error", e.error) ?? updateDecided(e, s),
  UpdateCompleted: (e, s) => {
    const shape =
      nonEmptyString("updateId", e.updateId) ??
      (e.error === undefined ? undefined : serializedError("error", e.error));
    if (shape) return shape;
    if (s.updates?.get(e.updateId) !== "running") {
      return `completes update "${e.updateId}", which no UpdateAccepted before it started or which completed already; expected one UpdateCompleted after its UpdateAccepted`;
    }
    s.updates.set(e.updateId, "completed");
    return undefined;
  },
};

/** UpdateAccepted / UpdateRejected: the id is new and the inbox entry is taken once. */
function updateDecided(e: Record<string, unknown>, s: CheckState): string | undefined {
  const shape = nonEmptyString("updateId", e.updateId) ?? nonNegativeInteger("inboxSeq", e.inboxSeq);
  if (shape) return shape;
  const inboxSeq = e.inboxSeq as number;
  if (s.updates?.has(e.updateId as string)) {
    return `decides update "${e.updateId}" a second time; expected one UpdateAccepted or UpdateRejected per update id`;
  }
  if (s.consumedInbox.has(inboxSeq)) {
    return `consumes inbox entry ${inboxSeq} a second time; expected each inbox entry to be received once`;
  }
  if (s.inboxLength !== undefined && inboxSeq >= s.inboxLength) {
    return `consumes inbox entry ${inboxSeq}, but the inbox has ${s.inboxLength} entries; expected an inboxSeq below ${s.inboxLength}`;
  }
  s.consumedInbox.add(inboxSeq);
  s.updates ??= new Map();
  if (e.type === "UpdateRejected") s.updates.set(e.updateId as string, "completed");
  return undefined;
}

/** ExecutionStarted's continue-as-new fields: `run`, `inboxFrom`, `inboxConsumed` (continue-as-new.ts). */
function runFields(e: Record<string, unknown>, s: CheckState): string | undefined {
  const problem =
    (e.run === undefined ? undefined : positiveInteger("run", e.run)) ??
    (e.inboxFrom === undefined ? undefined : nonNegativeInteger("inboxFrom", e.inboxFrom));
  if (problem) return problem;
  const from = (e.inboxFrom as number | undefined) ?? 0;
  const consumed = e.inboxConsumed;
  if (consumed !== undefined) {
    if (!Array.isArray(consumed) || !consumed.every((seq) => Number.isInteger(seq) && seq > from)) {
      return `has ${field("inboxConsumed", consumed)}; expected an array of inbox seqs above inboxFrom (${from})`;
    }
    for (const seq of consumed) s.consumedInbox.add(seq);
  }
  for (let seq = 0; seq < from; seq++) s.consumedInbox.add(seq);
  s.run = (e.run as number | undefined) ?? 1;
  return undefined;
}

function ends(event: JournalEvent, state: CheckState): undefined {
  state.endedAt = event.seq;
  state.endedBy = event.type;
  return undefined;
}

function nonNegativeNumber(name: string, value: unknown): string | undefined {
  if (typeof value === "number" && Number.isFinite(value) && value >= 0) return undefined;
  return `has ${field(name, value)}; expected a number of ms >= 0`;
}

function failedSteps(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value) && value.every((op) => Number.isInteger(op) && op >= 0)) return undefined;
  return `has ${field("failedSteps", value)}; expected an array of op indexes`;
}

/** A scheduling event of a kind that is scheduled once (timer, wait, child). */
function scheduled(event: { op: number; name: string }, state: CheckState, kind: OpKind): string | undefined {
  const op = state.ops.get(event.op);
  if (op) {
    return `schedules op ${event.op} again (it is ${describeOp(op)}); expected a new op index for a new operation`;
  }
  state.ops.set(event.op, { kind, name: event.name, attempt: 0, completed: false });
  return undefined;
}

/** A StepScheduled for an op seen before: only a further attempt of the same, unfinished step. */
function reopened(index: number, op: OpState, kind: OpKind, name: string): string | undefined {
  if (op.kind !== kind || op.name !== name) {
    return `schedules step "${name}" as op ${index}, which is ${describeOp(op)}; expected a new op index`;
  }
  if (op.completed) return `schedules another attempt of ${describeOp(op)} (op ${index}) after it completed`;
  return undefined;
}

function stepOutcome(
  event: { op: number; attempt: number },
  state: CheckState,
  final: boolean,
): string | undefined {
  const shape = positiveInteger("attempt", event.attempt);
  if (shape) return shape;
  const problem = open(event, state, "step");
  if (problem) return problem;
  const op = state.ops.get(event.op) as OpState;
  // An attempt ends with the attempt that was scheduled last, or a later one that ran
  // without being journaled first; never an earlier one.
  if (event.attempt < op.attempt) {
    return `reports attempt ${event.attempt} of ${describeOp(op)} after attempt ${op.attempt} was scheduled; expected attempt ${op.attempt} or later`;
  }
  op.attempt = event.attempt;
  if (final) op.completed = true;
  return undefined;
}

function completes(event: { op: number }, state: CheckState, kind: OpKind): string | undefined {
  const problem = open(event, state, kind);
  if (problem) return problem;
  (state.ops.get(event.op) as OpState).completed = true;
  return undefined;
}

/** The op the completion refers to was scheduled earlier, is of `kind`, and is still open. */
function open(event: { op: unknown }, state: CheckState, kind: OpKind): string | undefined {
  const shape = opIndex(event.op);
  if (shape) return shape;
  const index = event.op as number;
  const op = state.ops.get(index);
  if (!op) {
    return `refers to op ${index}, which no event before it scheduled; expected a ${SCHEDULER[kind]} for op ${index} before it`;
  }
  if (op.kind !== kind) {
    return `completes op ${index} as a ${kind}, but op ${index} is ${describeOp(op)}; expected a completion of a ${op.kind}`;
  }
  if (op.completed) return `completes ${describeOp(op)} (op ${index}) a second time; expected one completion`;
  return undefined;
}

const SCHEDULER: Record<OpKind, string> = {
  step: "StepScheduled",
  sleep: "TimerStarted",
  waitForEvent: "EventWaitStarted",
  child: "ChildStarted",
};

function describeOp(op: OpState): string {
  return `${op.kind === "sleep" ? "timer" : op.kind === "waitForEvent" ? "wait" : op.kind} "${op.name}"`;
}

// Field checks: each returns the problem, or undefined.

/** Epoch ms a Date can hold: beyond it, `new Date(at)` is an Invalid Date. */
const MAX_TIME = 8.64e15;

function time(name: string, value: unknown): string | undefined {
  if (typeof value !== "number" || !Number.isFinite(value) || Math.abs(value) > MAX_TIME) {
    return `has ${field(name, value)}; expected a time in epoch milliseconds (a finite number within ±${MAX_TIME})`;
  }
  return undefined;
}

function opIndex(value: unknown): string | undefined {
  return nonNegativeInteger("op", value);
}

function finiteNumber(name: string, value: unknown): string | undefined {
  return typeof value === "number" && Number.isFinite(value)
    ? undefined
    : `has ${field(name, value)}; expected a finite number`;
}

function integer(name: string, value: unknown): string | undefined {
  return Number.isSafeInteger(value) ? undefined : `has ${field(name, value)}; expected an integer`;
}

function nonNegativeInteger(name: string, value: unknown): string | undefined {
  return Number.isSafeInteger(value) && (value as number) >= 0
    ? undefined
    : `has ${field(name, value)}; expected an integer of 0 or more`;
}

function positiveInteger(name: string, value: unknown): string | undefined {
  return Number.isSafeInteger(value) && (value as number) >= 1
    ? undefined
    : `has ${field(name, value)}; expected an integer of 1 or more`;
}

function string(name: string, value: unknown): string | undefined {
  return typeof value === "string" ? undefined : `has ${field(name, value)}; expected a string`;
}

function nonEmptyString(name: string, value: unknown): string | undefined {
  return typeof value === "string" && value !== ""
    ? undefined
    : `has ${field(name, value)}; expected a non-empty string`;
}

/** An object of string values: ExecutionStarted `traceContext` (W3C trace headers). */
function stringRecord(name: string, value: unknown): string | undefined {
  const ok =
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === "string");
  return ok ? undefined : `has ${field(name, value)}; expected an object of string values (trace headers)`;
}

function serializedError(name: string, value: unknown, depth = 0): string | undefined {
  const error = value as Record<string, unknown> | null;
  if (error === null || typeof error !== "object" || Array.isArray(error)) {
    return `has ${field(name, value)}; expected an error object { name, message }`;
  }
  const problem =
    string(`${name}.name`, error.name) ??
    string(`${name}.message`, error.message) ??
    (error.code === undefined ? undefined : string(`${name}.code`, error.code)) ??
    (error.stack === undefined ? undefined : string(`${name}.stack`, error.stack)) ??
    (error.data === undefined || (typeof error.data === "object" && error.data !== null)
      ? undefined
      : `has ${field(`${name}.data`, error.data)}; expected an object`);
  if (problem || error.cause === undefined) return problem;
  if (depth >= 32) return `has an ${name} whose causes nest deeper than 32; expected a shorter chain`;
  return serializedError(`${name}.cause`, error.cause, depth + 1);
}

function field(name: string, value: unknown): string {
  return value === undefined ? `no "${name}"` : `"${name}" ${describe(value)}`;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  switch (typeof value) {
    case "string":
      return `"${value.length > 40 ? `${value.slice(0, 37)}...` : value}" (a string)`;
    case "number":
    case "boolean":
    case "bigint":
      return `${String(value)} (a ${typeof value})`;
    case "undefined":
      return "undefined";
    case "object":
      return "an object";
    default:
      return `a ${typeof value}`;
  }
}

function bad(seq: number, type: string, problem: string): JournalCheck {
  return { ok: false, seq, type, problem, message: `event ${seq} (${type}) ${problem}` };
}
