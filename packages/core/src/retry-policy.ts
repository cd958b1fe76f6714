import { type Duration, parseDuration } from "./duration.js";
import { InvalidArgumentError, RetryableError, TerminalError } from "./errors.js";

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
  /** Upper bound of a delay. Default "1h". */
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

/** Fills in defaults and checks every field; throws InvalidArgumentError naming the bad one. */
export function resolveRetryPolicy(policy: RetryPolicy | undefined): ResolvedRetryPolicy {
  if (!policy) return DEFAULT_RETRY_POLICY;
  const maxAttempts = policy.maxAttempts ?? DEFAULT_RETRY_POLICY.maxAttempts;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new InvalidArgumentError(`retry.maxAttempts must be an integer >= 1, got ${maxAttempts}.`);
  }
  const backoffRate = policy.backoffRate ?? DEFAULT_RETRY_POLICY.backoffRate;
  if (!(backoffRate >= 1)) {
    throw new InvalidArgumentError(`retry.backoffRate must be a number >= 1, got ${backoffRate}.`);
  }
  const jitter = policy.jitter ?? "none";
  if (jitter !== "full" && jitter !== "none") {
    throw new InvalidArgumentError(`retry.jitter must be "full" or "none", got ${JSON.stringify(jitter)}.`);
  }
  return {
    maxAttempts,
    backoffRate,
    jitter,
    initialInterval: parseDuration(
      policy.initialInterval ?? DEFAULT_RETRY_POLICY.initialInterval,
      "retry.initialInterval",
    ),
    maxInterval: parseDuration(policy.maxInterval ?? DEFAULT_RETRY_POLICY.maxInterval, "retry.maxInterval"),
    nonRetryable: policy.nonRetryable ?? [],
  };
}

/**
 * The delay before the next attempt after the `failures`-th failed attempt (this one
 * included) failed with `error`, or `undefined` when the step must not be retried
 * (`maxAttempts` failures, TerminalError, nonRetryable). Interrupted attempts (their
 * worker died) are not failures: the step option `maxInterruptions` bounds them.
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
  if (failures >= policy.maxAttempts || TerminalError.is(error)) return undefined;
  const name = (error as { name?: unknown } | null)?.name;
  if (typeof name === "string" && policy.nonRetryable.includes(name)) return undefined;
  if (RetryableError.is(error) && error.retryAfter !== undefined) {
    return parseDuration(error.retryAfter, "RetryableError retryAfter");
  }
  const computed = Math.min(
    policy.initialInterval * policy.backoffRate ** (failures - 1),
    policy.maxInterval,
  );
  return policy.jitter === "full" ? Math.floor(random() * computed) : computed;
}
