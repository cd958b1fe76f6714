import { InvalidArgumentError } from "./errors.js";
import { showValue } from "./show-value.js";

/** Milliseconds, or a string such as `"250ms"`, `"1.5s"`, `"10m"`, `"2h"`, `"2d"`, `"1w"`. */
export type Duration = number | string;

/**
 * The longest duration Stepline accepts anywhere (sleeps, `sleepUntil` ahead of now,
 * event-wait and step timeouts, retry intervals, `retryAfter`): 10 years of 365.25
 * days, 315 576 000 000 ms. Runs of a year or more are the point of a durable
 * workflow; beyond this a value is almost surely a unit mistake (seconds given as
 * ms twice over, or `Infinity`), and refusing it keeps every journaled time a valid Date.
 */
export const MAX_DURATION_MS = 10 * 365.25 * 86_400_000;

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const PATTERN = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h|d|w)\s*$/;

const ALLOWED =
  'Use a non-negative number of milliseconds or a string such as "500ms", "1.5s", "10m", "2h", "2d", ' +
  `at most ${MAX_DURATION_MS} ms (10 years).`;

/**
 * Converts a {@link Duration} to milliseconds; throws InvalidArgumentError naming
 * `what` for anything else: not a number or a duration string, negative, not
 * finite, or above {@link MAX_DURATION_MS}.
 *
 * @example
 * parseDuration("1.5s"); // 1500
 * parseDuration(250);    // 250
 * parseDuration("11y", "ctx.sleep duration"); // throws InvalidArgumentError: Invalid ctx.sleep duration: "11y". ...
 */
export function parseDuration(duration: Duration, what = "duration"): number {
  let ms: number | undefined;
  if (typeof duration === "number") {
    if (Number.isFinite(duration) && duration >= 0) ms = duration;
  } else if (typeof duration === "string") {
    const match = PATTERN.exec(duration);
    if (match) ms = Math.round(Number(match[1]) * (UNIT_MS[match[2] as string] as number));
  }
  if (ms !== undefined && ms > MAX_DURATION_MS) {
    throw new InvalidArgumentError(
      `Invalid ${what}: ${showValue(duration)} is longer than the maximum of 10 years (${MAX_DURATION_MS} ms). ${ALLOWED}`,
    );
  }
  if (ms === undefined) throw new InvalidArgumentError(`Invalid ${what}: ${showValue(duration)}. ${ALLOWED}`);
  return ms;
}

/**
 * Checks a point in time to wait until (`ctx.sleepUntil`): a valid Date or finite
 * epoch ms, at most {@link MAX_DURATION_MS} after `now`. A time in the past is
 * fine (the wait ends at once). Returns epoch ms.
 *
 * @example
 * parseDueTime(new Date("2031-01-01"), Date.now(), "ctx.sleepUntil until");
 */
export function parseDueTime(until: Date | number, now: number, what: string): number {
  let at: number | undefined;
  try {
    at = until instanceof Date ? Date.prototype.getTime.call(until) : until;
  } catch {
    at = undefined;
  }
  // 8.64e15 ms is the range of a JavaScript Date: every journaled time must print.
  if (typeof at !== "number" || !Number.isFinite(at) || Math.abs(at) > 8.64e15) {
    throw new InvalidArgumentError(
      `Invalid ${what}: ${until instanceof Date ? "an invalid Date" : showValue(until)}. ` +
        "Give a valid Date or a finite number of epoch milliseconds.",
    );
  }
  if (at - now > MAX_DURATION_MS) {
    throw new InvalidArgumentError(
      `Invalid ${what}: ${new Date(at).toISOString()} is more than 10 years (${MAX_DURATION_MS} ms) ` +
        `after now (${new Date(now).toISOString()}). Give a time at most 10 years ahead.`,
    );
  }
  return at;
}
