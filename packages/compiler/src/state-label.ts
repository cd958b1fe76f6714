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
      return `${state.name} (child workflow)`;
    case "task":
      // Every step is retried by default; only a policy that differs is worth a mention.
      return state.retry.maxAttempts === DEFAULT_RETRY_POLICY.maxAttempts
        ? state.name
        : `${state.name} (${state.retry.maxAttempts === 1 ? "no retry" : `${state.retry.maxAttempts} attempts`})`;
    case "map":
      return state.maxConcurrency === 0
        ? state.name
        : `${state.name} (max ${state.maxConcurrency} at a time)`;
    default:
      return state.name;
  }
}
