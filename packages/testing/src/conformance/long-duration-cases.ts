import {
  createEngine,
  type Engine,
  type JournalEvent,
  StepFailedError,
  type Store,
  TimeoutError,
  type WorkflowDefinition,
  workflow,
} from "@stepline/core";
import { expect } from "vitest";
import { type FakeClock, fakeClock } from "../fake-clock.js";
import type { ConformanceCase } from "./conformance-case.js";

const DAY = 86_400_000;
const YEAR = 365 * DAY;

const yearSleep = workflow("yearSleep", async (ctx, _: null) => {
  await ctx.sleep("a-year", "365d");
  return "woke";
});

const sleepUntil = workflow("sleepUntilAhead", async (ctx, at: number) => {
  await ctx.sleepUntil("anniversary", at);
  return "arrived";
});

const monthWait = workflow("monthWait", async (ctx, _: null) => {
  try {
    return await ctx.waitForEvent<string>("approval", { timeout: "30d" });
  } catch (error) {
    if (TimeoutError.is(error)) return "timed out";
    throw error;
  }
});

const yearRetry = workflow("yearRetry", async (ctx, _: null) =>
  ctx.step(
    "flaky",
    (info) => {
      if (info.attempt === 1) throw new Error("down for the year");
      return info.attempt;
    },
    { retry: { maxAttempts: 2, initialInterval: "365d" } },
  ),
);

const monthTimeout = workflow("monthTimeout", async (ctx, _: null) =>
  ctx.step(
    "export",
    // Never ends by itself: only the 30-day timeout ends it.
    (info) =>
      new Promise<never>((_resolve, reject) =>
        info.signal.addEventListener("abort", () => reject(info.signal.reason)),
      ),
    { timeout: "30d", retry: { maxAttempts: 1 } },
  ),
);

/**
 * A real engine on the store under test, with a fake clock: stores keep due times
 * the engine computes, so skipping a year must work on every store. Polls once a
 * (fake) day. `skip` moves the clock a day at a time with a pause of real time
 * between days, so that lease renewals (every 10/3 days of a 10-day lease), which
 * do real I/O, land before the lease they renew runs out.
 */
async function withEngine(
  store: Store,
  // biome-ignore lint/suspicious/noExplicitAny: a definition of any input and output type.
  definition: WorkflowDefinition<any, any>,
  body: (kit: {
    engine: Engine;
    clock: FakeClock;
    until: Until;
    skip: (days: number) => Promise<void>;
  }) => Promise<void>,
): Promise<void> {
  const clock = fakeClock();
  const engine = createEngine({ store, clock, pollInterval: DAY, log: () => {} });
  const worker = engine.worker({ workflows: [definition], leaseMs: 10 * DAY });
  await worker.start();
  const until: Until = async (condition, what) => {
    // Stores that do real I/O finish after the fake clock's settle turns: give them real
    // time, and nudge the clock a minute at a time so that waiting workers look again.
    const deadline = Date.now() + 15_000;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
      await clock.advance("1m");
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  const skip = async (days: number) => {
    for (let day = 0; day < days; day++) {
      await clock.advance("1d");
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  };
  try {
    await body({ engine, clock, until, skip });
  } finally {
    // A failed case may leave a step running that only its timeout ends: do not wait for it.
    await Promise.race([worker.stop(), new Promise((resolve) => setTimeout(resolve, 2_000))]);
  }
}

type Until = (condition: () => Promise<boolean>, what: string) => Promise<void>;

const statusIs = (engine: Engine, id: string, status: string) => async () =>
  (await engine.client.describe(id)).status === status;

function only<T extends JournalEvent["type"]>(
  history: JournalEvent[],
  type: T,
): Extract<JournalEvent, { type: T }> {
  const found = history.filter((e) => e.type === type);
  expect(found).toHaveLength(1);
  return found[0] as Extract<JournalEvent, { type: T }>;
}

/** Durations beyond setTimeout's 2^31-1 ms, through a real engine (DESIGN.md section 9). */
export const longDurationCases: readonly ConformanceCase[] = [
  {
    name: "a year-long ctx.sleep fires after a year, not before",
    run: (store) =>
      withEngine(store, yearSleep, async ({ engine, until, skip }) => {
        const run = await engine.client.start(yearSleep, null, { id: "year-sleep" });
        await until(statusIs(engine, run.id, "sleeping"), "the execution sleeps");
        const started = only(await run.history(), "TimerStarted");
        expect(started.fireAt - started.at).toBeGreaterThan(YEAR - DAY);
        await skip(364);
        expect((await run.describe()).status).toBe("sleeping");
        await skip(2);
        await until(statusIs(engine, run.id, "succeeded"), "the timer fires");
        expect(await run.result()).toBe("woke");
        expect(only(await run.history(), "TimerFired").at).toBeGreaterThanOrEqual(started.fireAt);
      }),
  },
  {
    name: "ctx.sleepUntil a year ahead fires then, not before",
    run: (store) =>
      withEngine(store, sleepUntil, async ({ engine, clock, until, skip }) => {
        const at = clock.now() + YEAR;
        const run = await engine.client.start(sleepUntil, at, { id: "sleep-until" });
        await until(statusIs(engine, run.id, "sleeping"), "the execution sleeps");
        expect(only(await run.history(), "TimerStarted").fireAt).toBe(at);
        await skip(364);
        expect((await run.describe()).status).toBe("sleeping");
        await skip(2);
        await until(statusIs(engine, run.id, "succeeded"), "the timer fires");
        expect(await run.result()).toBe("arrived");
      }),
  },
  {
    name: "a 30-day waitForEvent timeout times out after 30 days, not before",
    run: (store) =>
      withEngine(store, monthWait, async ({ engine, until, skip }) => {
        const run = await engine.client.start(monthWait, null, { id: "month-wait" });
        await until(statusIs(engine, run.id, "waiting"), "the execution waits");
        await skip(29);
        expect((await run.describe()).status).toBe("waiting");
        await skip(2);
        await until(statusIs(engine, run.id, "succeeded"), "the wait times out");
        expect(await run.result()).toBe("timed out");
        only(await run.history(), "EventWaitTimedOut");
      }),
  },
  {
    name: "a retry interval of a year runs the second attempt a year later, not before",
    run: (store) =>
      withEngine(store, yearRetry, async ({ engine, until, skip }) => {
        const run = await engine.client.start(yearRetry, null, { id: "year-retry" });
        await until(
          async () => (await run.history()).some((e) => e.type === "StepFailed"),
          "attempt 1 fails",
        );
        const failed = only(await run.history(), "StepFailed");
        expect((failed.retryAt as number) - failed.at).toBe(YEAR);
        await skip(364);
        expect((await run.history()).filter((e) => e.type === "StepScheduled")).toHaveLength(1);
        await skip(2);
        await until(statusIs(engine, run.id, "succeeded"), "attempt 2 runs");
        expect(await run.result()).toBe(2);
      }),
  },
  {
    name: "a 30-day step timeout does not fire at once; it fires after 30 days",
    run: (store) =>
      withEngine(store, monthTimeout, async ({ engine, until, skip }) => {
        const run = await engine.client.start(monthTimeout, null, { id: "month-timeout" });
        await until(
          async () => (await run.history()).some((e) => e.type === "StepScheduled"),
          "the step runs",
        );
        await skip(29);
        expect((await run.history()).some((e) => e.type === "StepFailed")).toBe(false);
        await skip(2);
        await until(statusIs(engine, run.id, "failed"), "the step times out");
        const error = await run.result().catch((e: unknown) => e as Error);
        expect(StepFailedError.is(error)).toBe(true);
        expect(TimeoutError.is((error as Error).cause)).toBe(true);
        expect((error as Error).message).toContain("timed out after 2592000000 ms");
        const history = await run.history();
        expect(only(history, "StepFailed").at - only(history, "StepScheduled").at).toBeGreaterThanOrEqual(
          30 * DAY,
        );
      }),
  },
];
