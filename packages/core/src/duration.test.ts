import { describe, expect, it } from "vitest";
import { InvalidArgumentError, MAX_DURATION_MS, parseDuration } from "./index.js";

describe("parseDuration", () => {
  it.each([
    ["250ms", 250],
    ["1.5s", 1_500],
    [".5s", 500],
    ["10m", 600_000],
    ["2h", 7_200_000],
    ["2d", 172_800_000],
    ["1w", 604_800_000],
    [" 3 s ", 3_000],
    ["0ms", 0],
  ])("parses %j as %d ms", (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it("takes a non-negative number as milliseconds, fractions included", () => {
    expect(parseDuration(250)).toBe(250);
    expect(parseDuration(0)).toBe(0);
    expect(parseDuration(12.5)).toBe(12.5);
  });

  it("rounds fractional milliseconds of a string to a whole number", () => {
    expect(parseDuration("1.0005s")).toBe(1_001);
  });

  it.each([
    ["", '""'],
    ["soon", '"soon"'],
    ["10", '"10"'],
    ["10 minutes", '"10 minutes"'],
    ["-1s", '"-1s"'],
    ["1.5.5s", '"1.5.5s"'],
    ["1e3ms", '"1e3ms"'],
  ])("rejects the string %j with InvalidArgumentError naming it", (input, shown) => {
    const error = catchError(() => parseDuration(input));
    expect(InvalidArgumentError.is(error)).toBe(true);
    expect(error.message).toContain(`Invalid duration: ${shown}`);
    expect(error.message).toContain('"1.5s"');
  });

  it.each([
    [-1, "-1"],
    [Number.NaN, "NaN"],
    [Number.POSITIVE_INFINITY, "Infinity"],
  ])("rejects the number %d with InvalidArgumentError showing its value", (input, shown) => {
    const error = catchError(() => parseDuration(input));
    expect(InvalidArgumentError.is(error)).toBe(true);
    expect(error.message).toContain(`Invalid duration: ${shown}.`);
  });

  it("rejects values of other types", () => {
    for (const input of [null, undefined, {}, true]) {
      const error = catchError(() => parseDuration(input as unknown as string));
      expect(InvalidArgumentError.is(error)).toBe(true);
    }
  });

  it("names what was being parsed", () => {
    const error = catchError(() => parseDuration("later", "sleep duration"));
    expect(error.message).toContain('Invalid sleep duration: "later"');
  });
});

describe("MAX_DURATION_MS", () => {
  it("is 10 years; a year and exactly 10 years are accepted, a millisecond more is refused naming the limit", () => {
    expect(MAX_DURATION_MS).toBe(315_576_000_000);
    expect(parseDuration("365d")).toBe(31_536_000_000);
    expect(parseDuration(MAX_DURATION_MS)).toBe(MAX_DURATION_MS);
    for (const input of [MAX_DURATION_MS + 1, 1e300, "3653w", "99999999999999999999ms"]) {
      const error = catchError(() => parseDuration(input, "ctx.sleep duration"));
      expect(InvalidArgumentError.is(error)).toBe(true);
      expect(error.message).toContain("Invalid ctx.sleep duration");
      expect(error.message).toContain("longer than the maximum of 10 years (315576000000 ms)");
    }
  });

  it("shows a BigInt or a symbol without throwing anything but InvalidArgumentError", () => {
    for (const input of [10n, Symbol("s")]) {
      expect(InvalidArgumentError.is(catchError(() => parseDuration(input as never)))).toBe(true);
    }
  });
});

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a throw");
}
