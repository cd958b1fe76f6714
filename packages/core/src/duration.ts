import { InvalidArgumentError } from "./errors.js";

/** Milliseconds, or a string such as `"250ms"`, `"1.5s"`, `"10m"`, `"2h"`, `"2d"`, `"1w"`. */
export type Duration = number | string;

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const PATTERN = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h|d|w)\s*$/;

/**
 * Converts a {@link Duration} to milliseconds.
 *
 * @example
 * parseDuration("1.5s"); // 1500
 * parseDuration(250);    // 250
 */
export function parseDuration(duration: Duration, what = "duration"): number {
  if (typeof duration === "number") {
    if (Number.isFinite(duration) && duration >= 0) return duration;
  } else if (typeof duration === "string") {
    const match = PATTERN.exec(duration);
    if (match) return Math.round(Number(match[1]) * (UNIT_MS[match[2] as string] as number));
  }
  throw new InvalidArgumentError(
    // String(), not JSON.stringify, for numbers: JSON shows NaN and Infinity as "null".
    `Invalid ${what}: ${typeof duration === "number" ? String(duration) : JSON.stringify(duration)}. ` +
      'Use a non-negative number of milliseconds or a string such as "500ms", "1.5s", "10m", "2h", "2d".',
  );
}
