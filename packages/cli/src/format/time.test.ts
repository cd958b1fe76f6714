import { describe, expect, it } from "vitest";
import { formatClock, formatDuration, formatTimestamp } from "./time.js";

describe("time formatting", () => {
  it("prints valid times as before", () => {
    expect(formatTimestamp(Date.UTC(2026, 0, 2, 10, 11, 12))).toBe("2026-01-02 10:11:12Z");
    expect(formatClock(Date.UTC(2026, 0, 2, 10, 11, 12, 345))).toBe("10:11:12.345");
  });

  // Journals written before durations were validated hold such times (ctx.sleep of 1e300 ms).
  it.each([
    [1e300, "invalid time (1e+300)"],
    [Number.NaN, "invalid time (NaN)"],
    [Number.POSITIVE_INFINITY, "invalid time (Infinity)"],
    [8.64e15 + 1, "invalid time (8640000000000001)"],
  ])("prints %d as %j instead of throwing 'Invalid time value'", (ms, text) => {
    expect(formatTimestamp(ms)).toBe(text);
    expect(formatClock(ms)).toBe(text);
  });

  it("prints a duration that is not finite as invalid", () => {
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe("invalid duration (Infinity)");
    expect(formatDuration(Number.NaN)).toBe("invalid duration (NaN)");
  });
});
