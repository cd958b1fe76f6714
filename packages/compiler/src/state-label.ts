import { DEFAULT_RETRY_POLICY } from "@stepline/core";
import { durationText } from "./duration-text.js";
import type { State } from "./ir.js";

/**
 * The text a diagram shows for a state: its name, and for waits, events and
 * child workflows what kind of operation it is.
 *
 * @example
 * stateLabel(coolOffState); // "cool-off (sleep 1h)"
 */
export function stateLabel(state: State): string {
  switch (state.kind) {
    case "wait":
      if (state.seconds !== undefined) return `${state.name} (sleep ${durationText(state.seconds)})`;
      return `${state.name} (sleep ${state.until ? "until " : ""}${state.expression})`;
    case "event":
      return state.timeoutSeconds === undefined
        ? `${state.name} (wait for event)`
        : `${state.name} (wait for event, timeout ${durationText(state.timeoutSeconds)})`;
    case "child":
      return state.detached
        ? `${state.name} (start child, ${state.detached.parentClosePolicy} on close)`
        : `${state.name} (child workflow)`;
    case "awaitChild":
      return `${state.name} (child result)`;
    case "continueAsNew":
      return `${state.name} (${state.input})`;
    case "task": {
      // Every step is retried by default; only a policy that differs is worth a mention.
      const notes = [
        state.compensates ? "undo" : undefined,
        !state.retry.known
          ? "retry unknown"
          : state.retry.maxAttempts === DEFAULT_RETRY_POLICY.maxAttempts
            ? undefined
            : state.retry.maxAttempts === 1
              ? "no retry"
              : `${state.retry.maxAttempts} attempts`,
        state.heartbeatSeconds === undefined
          ? undefined
          : `heartbeat ${durationText(state.heartbeatSeconds)}`,
        state.totalTimeoutSeconds === undefined
          ? undefined
          : `total ${durationText(state.totalTimeoutSeconds)}`,
      ].filter((note) => note !== undefined);
      return notes.length === 0 ? state.name : `${state.name} (${notes.join(", ")})`;
    }
    case "map": {
      const notes = [
        state.maxConcurrency === undefined
          ? "concurrency unknown"
          : state.maxConcurrency === 0
            ? undefined
            : `max ${state.maxConcurrency} at a time`,
        state.toleratedFailures === undefined
          ? undefined
          : "count" in state.toleratedFailures
            ? `tolerates ${state.toleratedFailures.count} failed`
            : `tolerates ${state.toleratedFailures.percentage}% failed`,
      ].filter((note) => note !== undefined);
      return notes.length === 0 ? state.name : `${state.name} (${notes.join(", ")})`;
    }
    default:
      return state.name;
  }
}
