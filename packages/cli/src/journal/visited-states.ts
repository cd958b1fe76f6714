import type { JournalEvent, SerializedError } from "@stepline/core";
import { attemptOf, type EventFields, errorOf, fieldsOf, opOf } from "./event-fields.js";

/** How a state (one operation of the workflow) stands, as the diagram colours it. */
export type StateStatus = "running" | "waiting" | "retrying" | "succeeded" | "failed" | "interrupted";

/** What kind of operation a state is. */
export type StateKind = "step" | "timer" | "wait" | "child" | "operation";

/** One operation the execution reached: a step, timer, event wait or child workflow. */
export interface VisitedState {
  op: number;
  /** The operation's identity: the step name (`email#2` when repeated), the timer or event name. */
  name: string;
  kind: StateKind;
  status: StateStatus;
  /** True for an operation the live execution is at now (running, waiting or retrying). */
  current: boolean;
  /** Attempts started (steps); 1 for the others. */
  attempts: number;
  /** Epoch ms of its first event. */
  startedAt: number;
  /** Epoch ms of its completion, if it completed. */
  endedAt?: number;
  /** Its result (a step's return value, an event's payload, a child's output). */
  result?: unknown;
  /** Its last error: of the failed attempt, or the one that will be retried. */
  error?: SerializedError;
  /** When the next thing happens: a timer fires, a wait times out, a retry starts. */
  dueAt?: number;
  /** Seqs of the journal events about this operation. */
  seqs: number[];
}

/**
 * Reads the operations an execution reached from its journal alone, in op order, with
 * their status: what the inspector's diagram draws and `inspect` calls pending.
 * Event kinds are recognised by their fields and name endings (`...Scheduled`,
 * `...Succeeded`, `...Failed`, ...), so a kind added to the journal later (child
 * workflows) shows without a change here.
 *
 * @example
 * visitedStates(await client.history(id)).map((s) => `${s.name}:${s.status}`);
 * // ["reserve:succeeded", "charge:retrying"]
 */
export function visitedStates(events: readonly (JournalEvent | EventFields)[]): VisitedState[] {
  const states = new Map<number, VisitedState>();
  let ended = false;
  for (const event of events.map(fieldsOf)) {
    const op = opOf(event);
    if (op === undefined) {
      ended ||= /^Execution(Succeeded|Failed|Cancelled)$|^ContinuedAsNew$/.test(event.type);
      // A redrive continues the failed run: what follows is live again (docs/operations.md).
      if (event.type === "ExecutionRedriven") ended = false;
      continue;
    }
    let state = states.get(op);
    if (!state) {
      state = {
        op,
        name: typeof event.name === "string" ? event.name : `op ${op}`,
        kind: kindOf(event.type),
        status: "running",
        current: false,
        attempts: 1,
        startedAt: event.at,
        seqs: [],
      };
      states.set(op, state);
    }
    state.seqs.push(event.seq);
    applyEvent(state, event);
  }
  const ordered = [...states.values()].sort((a, b) => a.op - b.op);
  for (const state of ordered) {
    const open = state.status === "running" || state.status === "waiting" || state.status === "retrying";
    if (open && ended) state.status = "interrupted";
    state.current = open && !ended;
  }
  return ordered;
}

function kindOf(type: string): StateKind {
  if (type.startsWith("Step")) return "step";
  if (type.startsWith("Timer")) return "timer";
  if (type.startsWith("Event")) return "wait";
  if (type.startsWith("Child")) return "child";
  return "operation";
}

function applyEvent(state: VisitedState, event: EventFields): void {
  const attempt = attemptOf(event);
  if (attempt !== undefined) state.attempts = Math.max(state.attempts, attempt);
  const type = event.type;
  if (/(Scheduled|Started)$/.test(type)) {
    state.status = state.kind === "timer" || state.kind === "wait" ? "waiting" : "running";
    const due = typeof event.fireAt === "number" ? event.fireAt : event.timeoutAt;
    if (typeof due === "number") state.dueAt = due;
    return;
  }
  const error = errorOf(event);
  if (/Failed$/.test(type) || error) {
    state.error = error ?? { name: "Error", message: `${type}` };
    if (typeof event.retryAt === "number") {
      state.status = "retrying";
      state.dueAt = event.retryAt;
      return;
    }
    state.status = "failed";
  } else if (/TimedOut$/.test(type)) {
    state.status = "failed";
    state.error = { name: "TimeoutError", message: `${state.name} timed out` };
  } else {
    state.status = "succeeded";
    for (const field of ["result", "payload", "output"]) {
      if (field in event) state.result = event[field];
    }
  }
  state.endedAt = event.at;
  delete state.dueAt;
}
