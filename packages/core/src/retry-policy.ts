import { type Duration, parseDuration } from "./duration.js";
import { InvalidArgumentError, RetryableError, TerminalError } from "./errors.js";
import {
  checkDuration,
  checkInteger,
  checkNumber,
  checkOneOf,
  checkOptionsObject,
  checkStringArray,
} from "./option-checks.js";

/**
 * How a failed step is retried; the fields mirror Step Functions' `Retry`
 * (MaxAttempts, IntervalSeconds, BackoffRate, MaxDelaySeconds, JitterStrategy).
 * `maxAttempts` counts the first attempt: 1 means no retry. It counts attempts that
 * failed; an attempt whose worker died is counted by the step option `maxInterruptions`.
 *
 * @example
 * await ctx.step("reserve", () => inventory.reserve(items), {
 *   retry: { maxAttempts: 5, initialInterval: "1s", backoffRate: 2, maxInterval: "30s", jitter: "full" },
 * });
 */
export interface RetryPolicy {
  /** Attempts in all, the first included. Default 3. */
  maxAttempts?: number;
  /** Delay before the second attempt. Default "1s". */
  initialInterval?: Duration;
  /** Each further delay is the previous one times this. Default 2. */
  backoffRate?: number;
  /** Upper bound of a delay, not below initialInterval. Default "1h" (or initialInterval, if longer). */
  maxInterval?: Duration;
  /** "full": a random delay between 0 and the computed one (spreads retry storms). Default "none". */
  jitter?: "full" | "none";
  /** Error names (`error.name`) that fail the step at once. */
  nonRetryable?: readonly string[];
}

/** A policy with every field resolved. */
export interface ResolvedRetryPolicy {
  maxAttempts: number;
  initialInterval: number;
  backoffRate: number;
  maxInterval: number;
  jitter: "full" | "none";
  nonRetryable: readonly string[];
}

export const DEFAULT_RETRY_POLICY: ResolvedRetryPolicy = {
  maxAttempts: 3,
  initialInterval: 1_000,
  backoffRate: 2,
  maxInterval: 3_600_000,
  jitter: "none",
  nonRetryable: [],
};

/** Upper bound of `retry.maxAttempts`. */
export const MAX_ATTEMPTS = 1_000_000;

/**
 * Fills in defaults and checks every field; throws InvalidArgumentError naming the
 * bad one (option-checks.ts). Intervals are durations of at most MAX_DURATION_MS
 * (10 years), and `maxInterval` may not be shorter than `initialInterval`.
 */
export function resolveRetryPolicy(policy: RetryPolicy | undefined): ResolvedRetryPolicy {
  if (!policy) return DEFAULT_RETRY_POLICY;
  checkOptionsObject(policy, "retry");
  const maxAttempts = checkInteger(
    orDefault(policy.maxAttempts, DEFAULT_RETRY_POLICY.maxAttempts),
    "retry.maxAttempts",
    1,
    MAX_ATTEMPTS,
  );
  const backoffRate = checkNumber(
    orDefault(policy.backoffRate, DEFAULT_RETRY_POLICY.backoffRate),
    "retry.backoffRate",
    {
      min: 1,
      max: 1_000,
    },
  );
  const jitter = checkOneOf(orDefault(policy.jitter, "none"), "retry.jitter", ["full", "none"]);
  const initialInterval = checkDuration(
    orDefault(policy.initialInterval, DEFAULT_RETRY_POLICY.initialInterval),
    "retry.initialInterval",
  );
  const maxInterval = checkDuration(
    orDefault(policy.maxInterval, Math.max(DEFAULT_RETRY_POLICY.maxInterval, initialInterval)),
    "retry.maxInterval",
  );
  if (maxInterval < initialInterval) {
    throw new InvalidArgumentError(
      `retry.maxInterval (${maxInterval} ms) must not be shorter than retry.initialInterval (${initialInterval} ms); ` +
        "raise maxInterval or lower initialInterval.",
    );
  }
  const nonRetryable =
    policy.nonRetryable === undefined ? [] : checkStringArray(policy.nonRetryable, "retry.nonRetryable");
  return { maxAttempts, backoffRate, jitter, initialInterval, maxInterval, nonRetryable };
}

/** The field, or its default when left out; `null` is not "left out" and is refused by the check. */
function orDefault<T>(value: T | undefined, fallback: T): T {
  return value === undefined ? fallback : value;
}

/**
 * The delay before the next attempt after the `failures`-th failed attempt (this one
 * included) failed with `error`, or `undefined` when the step must not be retried
 * (`maxAttempts` failures, TerminalError, nonRetryable). Interrupted attempts (their
 * worker died) are not failures: the step option `maxInterruptions` bounds them.
 *
 * Never throws, whatever `error` is: a value whose fields cannot be read is retried
 * by the policy, and a RetryableError whose `retryAfter` is not a valid duration
 * (negative, not finite, over 10 years, unparsable) gets the policy's delay.
 *
 * @example
 * retryDelay(resolveRetryPolicy({ maxAttempts: 3 }), 1, new Error("flaky")); // 1000
 * retryDelay(resolveRetryPolicy({ maxAttempts: 3 }), 3, new Error("flaky")); // undefined
 */
export function retryDelay(
  policy: ResolvedRetryPolicy,
  failures: number,
  error: unknown,
  random: () => number = Math.random,
): number | undefined {
  if (failures >= policy.maxAttempts) return undefined;
  const failure = readFailure(error);
  if (failure.terminal) return undefined;
  if (typeof failure.name === "string" && policy.nonRetryable.includes(failure.name)) return undefined;
  if (failure.retryAfter !== undefined) {
    try {
      return parseDuration(failure.retryAfter as Duration, "RetryableError retryAfter");
    } catch {
      // Fall through to the policy: a bad hint from a step must not fail or stall it.
    }
  }
  const computed = Math.min(
    policy.initialInterval * policy.backoffRate ** (failures - 1),
    policy.maxInterval,
  );
  return policy.jitter === "full" ? Math.floor(random() * computed) : computed;
}

/** What the retry decision reads of a thrown value; nothing, where reading it throws (a hostile Proxy). */
function readFailure(error: unknown): { terminal: boolean; name: unknown; retryAfter: unknown } {
  try {
    return {
      terminal: TerminalError.is(error),
      name: (error as { name?: unknown } | null)?.name,
      retryAfter: RetryableError.is(error) ? error.retryAfter : undefined,
    };
  } catch {
    return { terminal: false, name: undefined, retryAfter: undefined };
  }
}
