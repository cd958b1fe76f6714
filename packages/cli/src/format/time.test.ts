import { describe, expect, it } from "vitest";
import { eventSummary } from "../journal/event-fields.js";
import { formatClock, formatDuration, formatTimestamp } from "./time.js";

describe("time formatting", () => {
  it("prints valid times as before", () => {
    expect(formatTimestamp(Date.UTC(2026, 0, 2, 10, 11, 12))).toBe("2026-01-02 10:11:12Z");
    expect(formatClock(Date.UTC(2026, 0, 2, 10, 11, 12, 345), Date.UTC(2026, 0, 2))).toBe("10:11:12.345");
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

describe("formatClock", () => {
  const today = Date.UTC(2026, 0, 2, 8, 0, 0);
  it("prints the time of day alone for a moment of today (UTC)", () => {
    expect(formatClock(Date.UTC(2026, 0, 2, 19, 5, 58, 123), today)).toBe("19:05:58.123");
  });

  it("prints the date for a moment on another day: a 2-day wait does not read as today", () => {
    expect(formatClock(Date.UTC(2026, 0, 4, 19, 5, 58, 0), today)).toBe("2026-01-04 19:05:58.000");
    expect(formatClock(Date.UTC(2025, 11, 31, 23, 59, 59, 999), today)).toBe("2025-12-31 23:59:59.999");
  });
});

describe("journal rows", () => {
  it("say on which day a 2-day wait times out", () => {
    const now = Date.now();
    const summary = eventSummary({
      seq: 1,
      at: now,
      type: "EventWaitStarted",
      op: 0,
      name: "approve",
      timeoutAt: now + 2 * 86_400_000,
    });
    const day = new Date(now + 2 * 86_400_000).toISOString().slice(0, 10);
    expect(summary).toMatch(new RegExp(`^times out at ${day} \\d\\d:\\d\\d:\\d\\d\\.\\d{3}$`));
  });
});
