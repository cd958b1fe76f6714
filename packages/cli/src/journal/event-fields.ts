import type { JournalEvent, SerializedError } from "@stepline/core";
import { formatClock } from "../format/time.js";

/**
 * Reading journal events field by field, without a `switch` over their types: the
 * CLI must show events of kinds it does not know yet (a newer engine's journal, the
 * child-workflow events) instead of failing on them. Everything here looks at the
 * fields an event has, never at the list of types.
 */

/** A journal event seen as plain fields. */
export type EventFields = Readonly<Record<string, unknown>> & { seq: number; at: number; type: string };

/** The event as plain fields. */
export function fieldsOf(event: JournalEvent | EventFields): EventFields {
  return event as EventFields;
}

/** The operation index of an event about one operation, else undefined. */
export function opOf(event: EventFields): number | undefined {
  return typeof event.op === "number" ? event.op : undefined;
}

/** The attempt number of a step event, else undefined. */
export function attemptOf(event: EventFields): number | undefined {
  return typeof event.attempt === "number" ? event.attempt : undefined;
}

/** The error an event carries (StepFailed, ExecutionFailed, ChildFailed, ...), else undefined. */
export function errorOf(event: EventFields): SerializedError | undefined {
  const error = event.error as Partial<SerializedError> | undefined;
  return error && typeof error === "object" && typeof error.message === "string"
    ? (error as SerializedError)
    : undefined;
}

/** `Name: message`, the one-line form of a journaled error. */
export function errorLine(error: SerializedError): string {
  return `${error.name}: ${error.message}`;
}

/** The fields every event has or that name its operation: the rest is its payload. */
const FRAME = new Set(["seq", "at", "type", "op", "name", "attempt"]);
/** Fields holding the value an event is about, in the order they are looked for. */
const VALUE_FIELDS = ["input", "result", "output", "payload"];

/**
 * What an event is about, for a table cell: its value (input, result, output,
 * payload), its error, when its timer fires, its reason; for an unknown kind, its
 * remaining fields. Undefined when there is nothing to say.
 */
export function eventSummary(event: EventFields): unknown {
  const error = errorOf(event);
  if (error) {
    const retryAt = typeof event.retryAt === "number" ? ` (retry at ${formatClock(event.retryAt)})` : "";
    return `${errorLine(error)}${retryAt}`;
  }
  for (const field of VALUE_FIELDS) if (field in event) return event[field];
  if (typeof event.fireAt === "number") return `fires at ${formatClock(event.fireAt)}`;
  if (typeof event.timeoutAt === "number") return `times out at ${formatClock(event.timeoutAt)}`;
  if (typeof event.reason === "string") return event.reason;
  if (typeof event.childId === "string") return `child ${event.childId}`;
  const rest = Object.entries(event).filter(
    ([key]) => !FRAME.has(key) && key !== "seed" && key !== "version" && key !== "workflow",
  );
  return rest.length === 0 ? undefined : Object.fromEntries(rest);
}

/** Operation names by op, from the scheduling events that carry one. */
export function operationNames(events: readonly EventFields[]): Map<number, string> {
  const names = new Map<number, string>();
  for (const event of events) {
    const op = opOf(event);
    if (op !== undefined && typeof event.name === "string" && !names.has(op)) names.set(op, event.name);
  }
  return names;
}
