import { Cron } from "croner";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../errors.js";
import { SerializationError } from "../store-errors.js";
import { checkScheduleOptions, DEFAULT_CATCHUP_WINDOW_MS, dueTicks, nextTick } from "./schedule-spec.js";

const T0 = Date.UTC(2030, 0, 1);
const where = 'engine.schedules.create("x")';

/** Cron expressions built from the fields croner reads, seconds optional. */
const cronField = (max: number, min = 0) =>
  fc.oneof(
    fc.constant("*"),
    fc.integer({ min, max }).map(String),
    fc.integer({ min: 1, max: Math.min(max, 30) }).map((step) => `*/${step}`),
    fc
      .tuple(fc.integer({ min, max }), fc.integer({ min, max }))
      .map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`),
  );
const cronExpression = fc
  .tuple(
    fc.option(cronField(59), { nil: undefined }),
    cronField(59),
    cronField(23),
    fc.oneof(fc.constant("*"), fc.integer({ min: 1, max: 28 }).map(String)),
    fc.oneof(fc.constant("*"), fc.integer({ min: 1, max: 12 }).map(String)),
    fc.oneof(fc.constant("*"), fc.integer({ min: 0, max: 6 }).map(String)),
  )
  .map(([s, ...rest]) => [...(s === undefined ? [] : [s]), ...rest].join(" "));
const timezone = fc.constantFrom(undefined, "UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata");

describe("nextTick", () => {
  it("for random cron specs: strictly increasing and equal to croner's own sequence", () => {
    fc.assert(
      fc.property(
        cronExpression,
        timezone,
        fc.integer({ min: 0, max: 400 * 86_400_000 }),
        (cron, tz, offset) => {
          const spec = checkScheduleOptions(
            { workflow: "w", cron, ...(tz === undefined ? {} : { timezone: tz }) },
            where,
          );
          const from = T0 + offset;
          const expected = new Cron(cron, tz === undefined ? {} : { timezone: tz })
            .nextRuns(8, new Date(from))
            .map((d) => d.getTime());
          const ours: number[] = [];
          for (let t = nextTick(spec, from); t !== null && ours.length < 8; t = nextTick(spec, t))
            ours.push(t);
          expect(ours).toEqual(expected);
          for (let i = 0; i < ours.length; i++)
            expect(ours[i]).toBeGreaterThan(i === 0 ? from : (ours[i - 1] as number));
        },
      ),
      { numRuns: 150 },
    );
  });

  it("for random every specs: the multiples of the interval after the given time, strictly increasing", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1_000, max: 7 * 86_400_000 }),
        fc.integer({ min: 0, max: 2 ** 42 }),
        (every, from) => {
          const spec = checkScheduleOptions({ workflow: "w", every }, where);
          const first = nextTick(spec, from) as number;
          expect(first).toBeGreaterThan(from);
          expect(first - from).toBeLessThanOrEqual(every);
          expect(first % every).toBe(0);
          expect(nextTick(spec, first)).toBe(first + every);
        },
      ),
    );
  });

  it("follows the time zone across a daylight-saving change (Europe/Paris, March 2030)", () => {
    const spec = checkScheduleOptions({ workflow: "w", cron: "0 9 * * *", timezone: "Europe/Paris" }, where);
    const before = nextTick(spec, Date.UTC(2030, 2, 30, 12)); // 31 March is the change
    expect(new Date(before as number).toISOString()).toBe("2030-03-31T07:00:00.000Z");
    expect(new Date(nextTick(spec, Date.UTC(2030, 2, 29, 12)) as number).toISOString()).toBe(
      "2030-03-30T08:00:00.000Z",
    );
  });
});

describe("dueTicks", () => {
  it("for random windows and gaps: the started ticks are those within the window, and skipped + started is every tick missed", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 120 }),
        fc.integer({ min: 0, max: 300 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.boolean(),
        fc.constantFrom(0, 1, 123, 999),
        (everyS, windowS, gapS, useCron, offsetMs) => {
          const spec = useCron
            ? { cron: "* * * * * *", catchupWindowMs: windowS * 1_000 }
            : { everyMs: everyS * 1_000, catchupWindowMs: windowS * 1_000 };
          const after = T0 + offsetMs; // 0: the window starts on a tick
          const now = after + gapS * 1_000;
          const all: number[] = [];
          for (let t = nextTick(spec, after); t !== null && t <= now; t = nextTick(spec, t)) all.push(t);
          const { start, skipped } = dueTicks(spec, after, now);
          expect(start).toEqual(all.filter((t) => now - t <= spec.catchupWindowMs));
          expect(skipped).toBe(all.length - start.length);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("checkScheduleOptions", () => {
  it("fills the defaults: overlap skip, a catch-up window of 365 days, the definition's version", () => {
    expect(
      checkScheduleOptions({ workflow: { name: "w", version: 3 }, every: "1h", input: 1 }, where),
    ).toEqual({
      workflow: "w",
      version: 3,
      everyMs: 3_600_000,
      input: 1,
      overlap: "skip",
      catchupWindowMs: DEFAULT_CATCHUP_WINDOW_MS,
    });
  });

  it("refuses each bad field with an InvalidArgumentError naming it", () => {
    const bad: [object, RegExp][] = [
      [{ workflow: "a/b", every: "1m" }, /workflow name "a\/b" contains "\/"/],
      [{ workflow: "w", every: "1m", catchupWindow: -1 }, /catchupWindow/],
      [{ workflow: "w", cron: 5 }, /cron must be a string/],
      [{ workflow: "w", cron: "* * *" }, /cron "\* \* \*" is not valid/],
      [{ workflow: "w", cron: "* * * * *", timezone: "" }, /IANA time zone/],
    ];
    for (const [options, message] of bad) {
      expect(() => checkScheduleOptions(options, where)).toThrow(InvalidArgumentError);
      expect(() => checkScheduleOptions(options, where)).toThrow(message);
    }
  });

  it("refuses an input that cannot be journaled with SerializationError, as client.start does", () => {
    expect(() => checkScheduleOptions({ workflow: "w", every: "1m", input: () => 1 }, where)).toThrow(
      SerializationError,
    );
  });
});
