import type { EngineEnv } from "./engine-env.js";
import type { JournalEvent } from "./events.js";
import { PayloadTooLargeError, SerializationError } from "./store-errors.js";

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
): { event: JournalEvent; bytes: Uint8Array } {
  try {
    return encodeAsReplayReads(env, event);
  } catch (error) {
    const replacement = replacementFor(event, error, env);
    if (!replacement) throw error;
    return encodeAsReplayReads(env, replacement);
  }
}

/**
 * Events whose value reaches the workflow code (a step's result or error) or `result()`
 * (the outcome) straight from the live run: the code gets the copy decoded from the
 * journaled bytes. Event payloads and child results are not here: they were decoded
 * from the inbox and the child's journal already, so a second round trip changes nothing.
 */
const CARRIES_LIVE_VALUE: ReadonlySet<JournalEvent["type"]> = new Set([
  "StepSucceeded",
  "StepFailed",
  "ExecutionSucceeded",
  "ExecutionFailed",
]);

/** The bytes to append and the event as a replay will read it from them. */
function encodeAsReplayReads(
  env: EngineEnv,
  event: JournalEvent,
): { event: JournalEvent; bytes: Uint8Array } {
  const what = describeEvent(event);
  if (!CARRIES_LIVE_VALUE.has(event.type) || carriesUnchangedValue(event)) {
    return { event, bytes: env.codec.encode(event, what) };
  }
  const { bytes, copy } = env.codec.encodeWithCopy(event, what);
  return { event: copy, bytes };
}

/**
 * True when the event's value is a primitive that decodes to itself (not -0, no lone
 * surrogate): then it is the value replay gives, and the decode is skipped. Most step
 * results are such values; a decode per step cost about a tenth of the memory store's
 * steps/s (bench/run.ts).
 */
function carriesUnchangedValue(event: JournalEvent): boolean {
  const value =
    event.type === "StepSucceeded"
      ? event.result
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
