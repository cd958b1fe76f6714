import { describe, expect, it } from "vitest";
import {
  DEFAULT_RETRY_POLICY,
  InvalidArgumentError,
  type ResolvedRetryPolicy,
  RetryableError,
  resolveRetryPolicy,
  retryDelay,
  TerminalError,
} from "./index.js";

const policy = (overrides: Partial<ResolvedRetryPolicy> = {}): ResolvedRetryPolicy => ({
  ...DEFAULT_RETRY_POLICY,
  ...overrides,
});

describe("resolveRetryPolicy", () => {
  it("gives the defaults without a policy: 3 attempts, 1 s doubling up to 1 h, no jitter", () => {
    expect(resolveRetryPolicy(undefined)).toEqual({
      maxAttempts: 3,
      initialInterval: 1_000,
      backoffRate: 2,
      maxInterval: 3_600_000,
      jitter: "none",
      nonRetryable: [],
    });
  });

  it("fills in missing fields and parses durations", () => {
    expect(
      resolveRetryPolicy({ maxAttempts: 5, initialInterval: "250ms", maxInterval: "30s", jitter: "full" }),
    ).toEqual({
      maxAttempts: 5,
      initialInterval: 250,
      backoffRate: 2,
      maxInterval: 30_000,
      jitter: "full",
      nonRetryable: [],
    });
    expect(resolveRetryPolicy({ backoffRate: 1, nonRetryable: ["ValidationError"] })).toMatchObject({
      maxAttempts: 3,
      backoffRate: 1,
      nonRetryable: ["ValidationError"],
    });
  });

  it.each([
    [{ maxAttempts: 0 }, "retry.maxAttempts must be an integer from 1 to 1000000; got 0"],
    [{ maxAttempts: 2.5 }, "retry.maxAttempts must be an integer from 1 to 1000000; got 2.5"],
    [{ maxAttempts: Number.NaN }, "retry.maxAttempts must be an integer from 1 to 1000000; got NaN"],
    [{ maxAttempts: "3" }, 'retry.maxAttempts must be an integer from 1 to 1000000; got "3"'],
    [{ backoffRate: 0.5 }, "retry.backoffRate must be a finite number at least 1 and at most 1000; got 0.5"],
    [
      { backoffRate: Number.NaN },
      "retry.backoffRate must be a finite number at least 1 and at most 1000; got NaN",
    ],
    [{ jitter: "half" }, 'retry.jitter must be one of "full", "none"; got "half"'],
    [{ initialInterval: Number.POSITIVE_INFINITY }, "Invalid retry.initialInterval: Infinity"],
    [
      { initialInterval: "11000d" },
      'Invalid retry.initialInterval: "11000d" is longer than the maximum of 10 years',
    ],
    [
      { initialInterval: "10s", maxInterval: "5s" },
      "retry.maxInterval (5000 ms) must not be shorter than retry.initialInterval (10000 ms)",
    ],
    [
      { nonRetryable: "ValidationError" },
      'retry.nonRetryable must be an array of error names (strings), e.g. ["ValidationError"]; got "ValidationError"',
    ],
    [{ nonRetryable: [42] }, "retry.nonRetryable must be an array of error names (strings)"],
    [{ initialInterval: "soon" }, 'Invalid retry.initialInterval: "soon"'],
    [{ initialInterval: -5 }, "Invalid retry.initialInterval: -5"],
    [{ maxInterval: "1 year" }, 'Invalid retry.maxInterval: "1 year"'],
  ])("rejects %j with InvalidArgumentError naming the field", (bad, message) => {
    let error: unknown;
    try {
      resolveRetryPolicy(bad as never);
    } catch (thrown) {
      error = thrown;
    }
    expect(InvalidArgumentError.is(error)).toBe(true);
    expect((error as Error).message).toContain(message);
  });
});

describe("retryDelay", () => {
  it("backs off exponentially from initialInterval: 1000, 2000, 4000, ...", () => {
    const p = policy({ maxAttempts: 10 });
    expect([1, 2, 3, 4].map((attempt) => retryDelay(p, attempt, new Error("x")))).toEqual([
      1_000, 2_000, 4_000, 8_000,
    ]);
  });

  it("caps a delay at maxInterval", () => {
    const p = policy({ maxAttempts: 10, maxInterval: 3_000 });
    expect([1, 2, 3, 4].map((attempt) => retryDelay(p, attempt, new Error("x")))).toEqual([
      1_000, 2_000, 3_000, 3_000,
    ]);
  });

  it("keeps the interval constant with backoffRate 1", () => {
    const p = policy({ maxAttempts: 10, initialInterval: 500, backoffRate: 1 });
    expect([1, 2, 5].map((attempt) => retryDelay(p, attempt, new Error("x")))).toEqual([500, 500, 500]);
  });

  it("is undefined once maxAttempts attempts have been made", () => {
    const p = policy({ maxAttempts: 3 });
    expect(retryDelay(p, 2, new Error("x"))).toBe(2_000);
    expect(retryDelay(p, 3, new Error("x"))).toBeUndefined();
    expect(retryDelay(policy({ maxAttempts: 1 }), 1, new Error("x"))).toBeUndefined();
  });

  it("is undefined for a TerminalError", () => {
    expect(retryDelay(policy(), 1, new TerminalError("card declined"))).toBeUndefined();
  });

  it("is undefined for an error whose name is listed in nonRetryable", () => {
    class ValidationError extends Error {
      override name = "ValidationError";
    }
    const p = policy({ nonRetryable: ["ValidationError"] });
    expect(retryDelay(p, 1, new ValidationError("bad input"))).toBeUndefined();
    expect(retryDelay(p, 1, new TypeError("other"))).toBe(1_000);
  });

  it("uses RetryableError.retryAfter instead of the backoff", () => {
    const p = policy({ maxAttempts: 5 });
    expect(retryDelay(p, 1, new RetryableError("rate limited", { retryAfter: "30s" }))).toBe(30_000);
    expect(retryDelay(p, 3, new RetryableError("rate limited", { retryAfter: 250 }))).toBe(250);
    expect(retryDelay(p, 2, new RetryableError("no hint"))).toBe(2_000);
  });

  it.each([
    ["negative", -5],
    ["NaN", Number.NaN],
    ["Infinity", Number.POSITIVE_INFINITY],
    ["over 10 years", "11000d"],
    ["unparsable", "soon"],
    ["not a duration at all", { seconds: 3 }],
  ])(
    "ignores a RetryableError.retryAfter that is %s and uses the policy's delay, without throwing",
    (_, bad) => {
      const p = policy({ maxAttempts: 5 });
      const error = new RetryableError("rate limited", { retryAfter: bad as never });
      expect(retryDelay(p, 2, error)).toBe(2_000);
    },
  );

  it("retries a thrown value whose fields cannot be read (a Proxy whose traps throw) by the policy", () => {
    const hostile = new Proxy(new Error("x"), {
      get() {
        throw new Error("trap");
      },
      getPrototypeOf() {
        throw new Error("trap");
      },
    });
    expect(retryDelay(policy(), 1, hostile)).toBe(1_000);
  });

  it("takes a retry interval of a year; a long initialInterval raises the default maxInterval with it", () => {
    const year = 365 * 86_400_000;
    const yearly = resolveRetryPolicy({ initialInterval: "365d", maxInterval: "365d" });
    expect(retryDelay(yearly, 1, new Error("x"))).toBe(year);
    expect(resolveRetryPolicy({ initialInterval: "365d" }).maxInterval).toBe(year);
  });

  it("does not retry a RetryableError past maxAttempts", () => {
    const p = policy({ maxAttempts: 2 });
    expect(retryDelay(p, 2, new RetryableError("rate limited", { retryAfter: 10 }))).toBeUndefined();
  });

  it("with full jitter, picks a whole delay in [0, computed)", () => {
    const p = policy({ maxAttempts: 10, jitter: "full" });
    expect(retryDelay(p, 3, new Error("x"), () => 0)).toBe(0);
    expect(retryDelay(p, 3, new Error("x"), () => 0.5)).toBe(2_000);
    expect(retryDelay(p, 3, new Error("x"), () => 0.999_999)).toBe(3_999);
    for (let i = 0; i < 200; i++) {
      const delay = retryDelay(p, 2, new Error("x")) as number;
      expect(Number.isInteger(delay)).toBe(true);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(2_000);
    }
  });
});
