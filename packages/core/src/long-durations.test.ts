import { describe, expect, it } from "vitest";
import {
  type Clock,
  InvalidArgumentError,
  type JournalEvent,
  MAX_DURATION_MS,
  RetryableError,
  systemClock,
  workflow,
} from "./index.js";
import { newEngine, rejection, sleep, startWorker } from "./testing/engine-kit.js";

const YEAR = 365 * 86_400_000;

/** Runs `fn` and returns the names of the process warnings emitted meanwhile. */
async function warningsDuring(fn: () => Promise<void>): Promise<string[]> {
  const warnings: string[] = [];
  const onWarning = (warning: Error) => warnings.push(warning.name);
  process.on("warning", onWarning);
  try {
    await fn();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off("warning", onWarning);
  }
  return warnings;
}

/** The system clock, counting its sleeps: a busy loop shows as hundreds of them. */
function countingClock(): Clock & { sleeps: number } {
  const clock = {
    sleeps: 0,
    now: () => systemClock.now(),
    sleep: (ms: number, signal?: AbortSignal) => {
      clock.sleeps++;
      return systemClock.sleep(ms, signal);
    },
  };
  return clock;
}

describe("durations beyond setTimeout's 2^31-1 ms, on the system clock", () => {
  it("does not fire a 30-day step timeout at once: the step runs to its result", async () => {
    const { engine } = newEngine();
    const slow = workflow("slowStep", async (ctx, _: null) =>
      ctx.step("export", () => sleep(200).then(() => "exported"), {
        timeout: "30d",
        retry: { maxAttempts: 1 },
      }),
    );
    await startWorker(engine, { workflows: [slow] });
    const warnings = await warningsDuring(async () => {
      const run = await engine.client.start(slow, null);
      expect(await run.result({ timeout: "10s" })).toBe("exported");
    });
    expect(warnings).not.toContain("TimeoutOverflowWarning");
  });

  it("keeps a year-long timer pending while a step runs without a busy loop or overflow warnings", async () => {
    const clock = countingClock();
    const { engine } = newEngine({ clock });
    const both = workflow("sleepAndWork", async (ctx, _: null) => {
      await Promise.all([ctx.sleep("year", "365d"), ctx.step("work", () => sleep(300).then(() => 1))]);
    });
    await startWorker(engine, { workflows: [both] });
    let history: JournalEvent[] = [];
    const warnings = await warningsDuring(async () => {
      const run = await engine.client.start(both, null);
      for (let i = 0; i < 200 && (await run.describe()).status !== "sleeping"; i++) await sleep(10);
      history = await run.history();
    });
    expect(warnings).not.toContain("TimeoutOverflowWarning");
    // A handful of sleeps (idle waits, the flush of StepScheduled), not one per millisecond.
    expect(clock.sleeps).toBeLessThan(60);
    const timer = history.find((e) => e.type === "TimerStarted");
    // fireAt counts from ctx.now() (the journal's last time), a few ms before the append.
    const ahead = timer && "fireAt" in timer ? timer.fireAt - timer.at : 0;
    expect(ahead).toBeGreaterThan(YEAR - 1_000);
    expect(ahead).toBeLessThanOrEqual(YEAR);
    expect(history.some((e) => e.type === "StepSucceeded")).toBe(true);
  });
});

describe("durations refused at the call", () => {
  const cases: [string, (ctx: Parameters<Parameters<typeof workflow>[1]>[0]) => Promise<unknown>, string][] =
    [
      [
        "ctx.sleep of 1e300 ms",
        (ctx) => ctx.sleep("nap", 1e300),
        'Invalid ctx.sleep("nap") duration: 1e+300 is longer than the maximum of 10 years',
      ],
      ["ctx.sleep of NaN", (ctx) => ctx.sleep("nap", Number.NaN), 'Invalid ctx.sleep("nap") duration: NaN.'],
      ["ctx.sleep of -1", (ctx) => ctx.sleep("nap", -1), 'Invalid ctx.sleep("nap") duration: -1.'],
      ["ctx.sleep of 11 years", (ctx) => ctx.sleep("nap", "4018d"), "longer than the maximum of 10 years"],
      [
        "ctx.sleepUntil an invalid Date",
        (ctx) => ctx.sleepUntil("then", new Date(Number.NaN)),
        'Invalid ctx.sleepUntil("then") until: an invalid Date',
      ],
      [
        "ctx.sleepUntil Infinity",
        (ctx) => ctx.sleepUntil("then", Number.POSITIVE_INFINITY),
        'Invalid ctx.sleepUntil("then") until: Infinity',
      ],
      [
        "ctx.sleepUntil 11 years ahead",
        (ctx) => ctx.sleepUntil("then", ctx.now() + MAX_DURATION_MS + 1),
        "is more than 10 years",
      ],
      [
        "a waitForEvent timeout of Infinity",
        (ctx) => ctx.waitForEvent("ok", { timeout: Number.POSITIVE_INFINITY }),
        'Invalid ctx.waitForEvent("ok") timeout: Infinity',
      ],
      [
        "a step timeout of 0",
        (ctx) => ctx.step("s", () => 1, { timeout: 0 }),
        'Invalid ctx.step("s") timeout: 0. It must be longer than 0 ms',
      ],
      [
        "a step timeout of 1e300",
        (ctx) => ctx.step("s", () => 1, { timeout: 1e300 }),
        'Invalid ctx.step("s") timeout: 1e+300',
      ],
      [
        "a retry interval of 11 years",
        (ctx) => ctx.step("s", () => 1, { retry: { initialInterval: "4018d" } }),
        "Invalid retry.initialInterval",
      ],
    ];

  it.each(cases)(
    "fails the execution on %s with InvalidArgumentError naming the call",
    async (_, call, message) => {
      const { engine } = newEngine();
      const bad = workflow("badDuration", async (ctx, _input: null) => {
        await call(ctx);
      });
      await startWorker(engine, { workflows: [bad] });
      const run = await engine.client.start(bad, null);
      const error = await rejection(run.result({ timeout: "5s" }));
      expect(InvalidArgumentError.is(error)).toBe(true);
      expect(error.message).toContain(message);
      // Nothing with an unprintable time was journaled.
      for (const event of await run.history())
        expect(Number.isFinite(new Date(event.at).getTime())).toBe(true);
    },
  );

  it("fails a step clearly, without crashing, when a RetryableError asks for a bad retryAfter: the policy's delay is used", async () => {
    const { engine } = newEngine();
    let attempts = 0;
    const flaky = workflow("badRetryAfter", async (ctx, _: null) =>
      ctx.step(
        "call",
        () => {
          attempts++;
          if (attempts === 1) throw new RetryableError("busy", { retryAfter: Number.POSITIVE_INFINITY });
          return "second time";
        },
        { retry: { maxAttempts: 2, initialInterval: 10 } },
      ),
    );
    await startWorker(engine, { workflows: [flaky] });
    const run = await engine.client.start(flaky, null);
    expect(await run.result({ timeout: "5s" })).toBe("second time");
    const failed = (await run.history()).find((e) => e.type === "StepFailed");
    expect(failed && "retryAt" in failed ? (failed.retryAt as number) - failed.at : -1).toBeLessThanOrEqual(
      10,
    );
  });
});
