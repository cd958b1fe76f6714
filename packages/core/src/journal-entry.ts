import type { EngineEnv } from "./engine-env.js";
import { CorruptJournalError, PayloadTooLargeError, SerializationError } from "./errors.js";
import type { JournalEvent } from "./events.js";

/**
 * Encodes one event for the journal and returns it as the workflow code must see it:
 * decoded from those very bytes, as a replay will read it, so the code sees the same
 * value live and on replay (a Buffer comes back a Uint8Array, -0 as 0, a sparse array
 * dense, a shared object as two copies; live-equals-replay.test.ts).
 *
 * A step result or workflow output that cannot be journaled (not plain data, too large,
 * not readable back) is journaled as a failure instead, so the journal never holds a half.
 */
export function encodeJournalEntry(
  env: EngineEnv,
  event: JournalEvent,
  executionId: string,
): { event: JournalEvent; bytes: Uint8Array } {
  try {
    const bytes = env.codec.encode(event, describeEvent(event));
    return { event: readBack(env, event, bytes, executionId), bytes };
  } catch (error) {
    const replacement = replacementFor(event, error, env);
    if (!replacement) throw error;
    const bytes = env.codec.encode(replacement, describeEvent(replacement));
    return { event: readBack(env, replacement, bytes, executionId), bytes };
  }
}

/**
 * Events that hand a value to the workflow code (a result, a payload, an error) or to
 * `result()` (the outcome): they are decoded from the bytes just encoded, before the
 * append. The others carry only what the engine made (ops, names, times) and are passed
 * on as they are, which saves a decode per event.
 */
const CARRIES_VALUE: ReadonlySet<JournalEvent["type"]> = new Set([
  "StepSucceeded",
  "StepFailed",
  "EventReceived",
  "ChildSucceeded",
  "ChildFailed",
  "ExecutionSucceeded",
  "ExecutionFailed",
]);

/**
 * The event as a replay will read it from `bytes`. A value the codec writes but will
 * not read back (nested deeper than the decoder's limit) is a SerializationError, so
 * the step or the execution fails now instead of its journal being unreadable later.
 */
function readBack(env: EngineEnv, event: JournalEvent, bytes: Uint8Array, id: string): JournalEvent {
  if (!CARRIES_VALUE.has(event.type) || carriesUnchangedValue(event)) return event;
  try {
    return env.codec.decodeEvent(bytes, id, event.seq);
  } catch (error) {
    if (!CorruptJournalError.is(error)) throw error;
    throw new SerializationError(
      describeEvent(event),
      "$",
      `a value that cannot be read back (${error.message})`,
    );
  }
}

/**
 * True when the event's value is a primitive that decodes to itself (not -0, no lone
 * surrogate): then it is the value replay gives, and the decode is skipped. Most step
 * results are such values; a decode per step cost about a tenth of the memory store's
 * steps/s (bench/run.ts).
 */
function carriesUnchangedValue(event: JournalEvent): boolean {
  const value =
    event.type === "StepSucceeded" || event.type === "ChildSucceeded"
      ? event.result
      : event.type === "EventReceived"
        ? event.payload
        : event.type === "ExecutionSucceeded"
          ? event.output
          : MUST_DECODE;
  switch (typeof value) {
    case "number":
      return !Object.is(value, -0);
    case "boolean":
    case "undefined":
      return true;
    case "string":
      return isWellFormed(value);
    default:
      return value === null;
  }
}

/** Stands for the value of a failure event: its error is always decoded. */
const MUST_DECODE: unknown = Object.freeze({});

/** Whether `text` has no lone surrogate (encodeURIComponent throws on one, where isWellFormed is missing). */
const isWellFormed: (text: string) => boolean =
  typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === "function"
    ? (text) => (text as unknown as { isWellFormed(): boolean }).isWellFormed()
    : (text) => {
        try {
          encodeURIComponent(text);
          return true;
        } catch {
          return false;
        }
      };

export function describeEvent(event: JournalEvent): string {
  const name = "op" in event ? ` (op ${event.op})` : "";
  return `${event.type} event${name}`;
}

/** The failure journaled in place of a success whose value cannot be journaled, if there is one. */
function replacementFor(event: JournalEvent, thrown: unknown, env: EngineEnv): JournalEvent | undefined {
  const { seq, at, type } = event;
  const replaceable = ["StepSucceeded", "ExecutionSucceeded", "StepFailed", "ExecutionFailed"].includes(type);
  if (!replaceable) return undefined;
  // A value that passed assertPlainData can still fail to encode (a getter or Proxy trap that
  // throws when read again): that too is a value that cannot be journaled.
  const reason =
    PayloadTooLargeError.is(thrown) || SerializationError.is(thrown)
      ? thrown
      : new SerializationError(
          describeEvent(event),
          "$",
          `encoding it threw ${env.errors.serialize(thrown).message}`,
        );
  const error = env.errors.serialize(reason);
  // The replacement must fit even under a small maxEventBytes: the codec's stack tells a user nothing.
  delete error.stack;
  if (event.type === "StepSucceeded")
    return { type: "StepFailed", op: event.op, attempt: event.attempt, error, seq, at };
  if (event.type === "ExecutionSucceeded") return { type: "ExecutionFailed", error, seq, at };
  // A failure whose own error is too large (a huge message or stack): keep the failure, its
  // retryAt included, with the original cut to its name and the start of its message
  // (worker.test.ts "journals a step error too large for maxEventBytes ...").
  if (event.type === "StepFailed" || event.type === "ExecutionFailed") {
    error.cause = { name: event.error.name, message: event.error.message.slice(0, 500) };
    return { ...event, error };
  }
  return undefined;
}
