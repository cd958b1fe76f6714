import {
  Codec,
  checkJournal,
  createEngine,
  type Engine,
  ExecutionFinishedError,
  InvalidArgumentError,
  type JournalEvent,
  memoryStore,
  PayloadTooLargeError,
  SerializationError,
  StepFailedError,
  type StepInfo,
  type Store,
  TimeoutError,
  type WorkflowDefinition,
  workflow,
} from "@stepline/core";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { type FakeClock, fakeClock } from "./fake-clock.js";

/**
 * Step totalTimeout, heartbeats and executionTimeout through a real engine on the
 * memory store with a fake clock: every time limit here is minutes or hours of fake
 * time, passed in milliseconds of real time.
 */

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

async function kit(
  // biome-ignore lint/suspicious/noExplicitAny: definitions of any input and output type.
  workflows: WorkflowDefinition<any, any>[],
  options: { leaseMs?: number; store?: Store; maxEventBytes?: number } = {},
): Promise<{ engine: Engine; clock: FakeClock; store: Store }> {
  const clock = fakeClock();
  const store = options.store ?? memoryStore();
  const engine = createEngine({
    store,
    clock,
    pollInterval: 3_600_000,
    log: () => {},
    ...(options.maxEventBytes ? { maxEventBytes: options.maxEventBytes } : {}),
  });
  const worker = engine.worker({ workflows, leaseMs: options.leaseMs ?? 600_000 });
  await worker.start();
  // A case may leave a body hanging that only an abort ends: do not wait for it for ever.
  stops.push(() => Promise.race([worker.stop(), new Promise<void>((r) => setTimeout(r, 1_000))]));
  return { engine, clock, store };
}

/** Advances the fake clock a step at a time until `condition` holds. */
async function until(clock: FakeClock, condition: () => Promise<boolean>, what: string, step = "1s") {
  for (let i = 0; i < 10_000; i++) {
    if (await condition()) return;
    await clock.advance(step);
  }
  throw new Error(`never happened: ${what}`);
}

const statusIs = (engine: Engine, id: string, status: string) => async () =>
  (await engine.client.describe(id)).status === status;

function ofType<T extends JournalEvent["type"]>(history: JournalEvent[], type: T) {
  return history.filter((e): e is Extract<JournalEvent, { type: T }> => e.type === type);
}

/** A body that never ends by itself; it rejects with its signal's reason when aborted. */
const hang = (info: StepInfo) =>
  new Promise<never>((_resolve, reject) => {
    info.signal.addEventListener("abort", () => reject(info.signal.reason), { once: true });
  });

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}

describe("step totalTimeout", () => {
  it("stops retrying when the next retry would start past the deadline", async () => {
    let attempts = 0;
    const flaky = workflow("totalFlaky", async (ctx, _: null) =>
      ctx.step(
        "call",
        () => {
          attempts++;
          throw new Error(`down (attempt ${attempts})`);
        },
        { retry: { maxAttempts: 100, initialInterval: "1s", backoffRate: 1 }, totalTimeout: "5s" },
      ),
    );
    const { engine, clock } = await kit([flaky]);
    const run = await engine.client.start(flaky, null, { id: "total-1" });
    await until(clock, statusIs(engine, run.id, "failed"), "the step fails");
    // Attempts at 0, 1, 2, 3, 4 s; the retry at 5 s is at the deadline and is not scheduled.
    expect(attempts).toBe(5);
    const error = await failure(run.result());
    expect(StepFailedError.is(error)).toBe(true);
    const cause = error.cause as Error;
    expect(TimeoutError.is(cause)).toBe(true);
    expect(cause.message).toContain("totalTimeout of 5000 ms");
    expect((cause.cause as Error).message).toBe("down (attempt 5)");
    const failed = ofType(await run.history(), "StepFailed");
    expect(failed.map((e) => e.retryAt === undefined)).toEqual([false, false, false, false, true]);
  });

  it("aborts an attempt still running at the deadline and does not retry it", async () => {
    let attempts = 0;
    let abortReason: unknown;
    const slow = workflow("totalSlow", async (ctx, _: null) =>
      ctx.step(
        "export",
        (info) => {
          attempts++;
          info.signal.addEventListener("abort", () => {
            abortReason = info.signal.reason;
          });
          return hang(info);
        },
        { timeout: "1h", totalTimeout: "10m", retry: { maxAttempts: 5 } },
      ),
    );
    const { engine, clock } = await kit([slow]);
    const run = await engine.client.start(slow, null, { id: "total-2" });
    await clock.advance("9m");
    expect((await run.describe()).status).toBe("running");
    await until(clock, statusIs(engine, run.id, "failed"), "the step fails", "1m");
    expect(attempts).toBe(1);
    expect(TimeoutError.is(abortReason)).toBe(true);
    const error = await failure(run.result());
    expect((error.cause as Error).message).toMatch(/^Step "export" ran out of its totalTimeout of 600000 ms/);
  });

  it("measures the deadline from the first attempt as journaled, across a retry after a restart", async () => {
    // Replay: attempt 2 gets `firstAt` from the journal, so a totalTimeout of 1 minute
    // with a 50-second backoff leaves the second attempt 10 seconds.
    let attempts = 0;
    const step = workflow("totalReplay", async (ctx, _: null) =>
      ctx.step(
        "call",
        (info) => {
          attempts++;
          if (info.attempt === 1) throw new Error("first fails");
          return hang(info);
        },
        { retry: { maxAttempts: 3, initialInterval: "50s" }, totalTimeout: "1m" },
      ),
    );
    const { engine, clock } = await kit([step]);
    const run = await engine.client.start(step, null, { id: "total-3" });
    await until(clock, async () => attempts === 2, "attempt 2 runs");
    const [first] = ofType(await run.history(), "StepScheduled");
    await until(clock, statusIs(engine, run.id, "failed"), "the step fails");
    const failed = ofType(await run.history(), "StepFailed");
    expect(failed).toHaveLength(2);
    expect(failed[1]?.at).toBe((first?.at as number) + 60_000);
    expect(attempts).toBe(2);
  });
});

describe("heartbeats", () => {
  it("fails an attempt that stops heartbeating, retries it, and gives attempt 2 the last details", async () => {
    const seen: unknown[] = [];
    const importer = workflow("hbImport", async (ctx, _: null) =>
      ctx.step(
        "import",
        async (info) => {
          seen.push(info.lastHeartbeat);
          if (info.attempt === 1) {
            for (let row = 1; row <= 3; row++) info.heartbeat({ row });
            return hang(info); // stops heartbeating
          }
          return { resumedFrom: info.lastHeartbeat };
        },
        { heartbeatTimeout: "30s", retry: { maxAttempts: 3, initialInterval: "1s" } },
      ),
    );
    const { engine, clock } = await kit([importer]);
    const run = await engine.client.start(importer, null, { id: "hb-1" });
    await clock.advance("29s");
    expect(seen).toHaveLength(1);
    await until(clock, statusIs(engine, run.id, "succeeded"), "attempt 2 succeeds");
    expect(seen).toEqual([undefined, { row: 3 }]);
    expect(await run.result()).toEqual({ resumedFrom: { row: 3 } });
    const history = await run.history();
    const failed = ofType(history, "StepFailed");
    expect(failed).toHaveLength(1);
    expect(failed[0]?.error.name).toBe("TimeoutError");
    expect(failed[0]?.error.message).toContain("sent no heartbeat for 30000 ms (its heartbeatTimeout)");
    expect(ofType(history, "StepHeartbeat")).toEqual([
      expect.objectContaining({ op: 0, attempt: 1, details: { row: 3 } }),
    ]);
    // The heartbeat is journaled after its attempt's StepScheduled and before its failure.
    expect(checkJournal(history)).toEqual({ ok: true });
    const types = history.map((e) => e.type);
    expect(types.slice(0, 4)).toEqual(["ExecutionStarted", "StepScheduled", "StepHeartbeat", "StepFailed"]);
  });

  it("keeps an attempt that heartbeats in time alive past its heartbeatTimeout", async () => {
    const long = workflow("hbAlive", async (ctx, _: null) =>
      ctx.step(
        "work",
        async (info) => {
          for (let i = 0; i < 10; i++) {
            await sleepOn(info, 20_000);
            info.heartbeat(i);
          }
          return info.attempt;
        },
        { heartbeatTimeout: "30s", retry: { maxAttempts: 1 } },
      ),
    );
    const { engine, clock } = await kit([long]);
    clockRef = clock;
    const run = await engine.client.start(long, null, { id: "hb-2" });
    await until(clock, statusIs(engine, run.id, "succeeded"), "the step ends");
    expect(await run.result()).toBe(1);
  });

  it("journals 100 heartbeats of a tight loop as one StepHeartbeat, and a chatty minute as a few", async () => {
    const chatty = workflow("hbChatty", async (ctx, _: null) => {
      await ctx.step("tight", (info) => {
        for (let i = 0; i < 100; i++) info.heartbeat({ i });
        return "done";
      });
      // Ticks completing every 2 s beside it make the runner look at the heartbeats often.
      const ticks = (async () => {
        for (let k = 0; k < 25; k++) await ctx.step("tick", (info) => sleepOn(info, 2_000));
      })();
      const minute = ctx.step(
        "minute",
        async (info) => {
          for (let s = 1; s <= 60; s++) {
            await sleepOn(info, 1_000);
            for (let i = 0; i < 10; i++) info.heartbeat({ s, i });
          }
          return "done";
        },
        { heartbeatTimeout: "20s" },
      );
      await ticks;
      return minute;
    });
    const { engine, clock } = await kit([chatty]);
    clockRef = clock;
    const run = await engine.client.start(chatty, null, { id: "hb-3" });
    await until(clock, statusIs(engine, run.id, "succeeded"), "both steps end");
    const beats = ofType(await run.history(), "StepHeartbeat");
    const tight = beats.filter((e) => e.op === 0);
    expect(tight).toEqual([expect.objectContaining({ details: { i: 99 } })]);
    const minute = beats.filter((e) => e.op === 2);
    expect(beats.filter((e) => e.op !== 0 && e.op !== 2)).toEqual([]);
    // 600 calls over 60 s, throttled to one per max(1 s, 20 s / 2) = 10 s, plus the last.
    expect(minute.length).toBeGreaterThanOrEqual(5);
    expect(minute.length).toBeLessThanOrEqual(7);
    expect(minute.at(-1)?.details).toEqual({ s: 60, i: 9 });
    expect(checkJournal(await run.history())).toEqual({ ok: true });
    for (let i = 1; i < minute.length - 1; i++) {
      expect((minute[i]?.at as number) - (minute[i - 1]?.at as number)).toBeGreaterThanOrEqual(10_000);
    }
  });

  it("refuses details that cannot be journaled at the call; the step goes on", async () => {
    const errors: string[] = [];
    const picky = workflow("hbPicky", async (ctx, _: null) =>
      ctx.step("work", (info) => {
        for (const details of [{ f: () => 1 }, "x".repeat(5_000), { ok: true }]) {
          try {
            info.heartbeat(details);
          } catch (error) {
            errors.push(
              SerializationError.is(error)
                ? "SerializationError"
                : PayloadTooLargeError.is(error)
                  ? "TooLarge"
                  : "?",
            );
          }
        }
        return "went on";
      }),
    );
    const { engine, clock } = await kit([picky], { maxEventBytes: 4_096 });
    const run = await engine.client.start(picky, null, { id: "hb-4" });
    await until(clock, statusIs(engine, run.id, "succeeded"), "the step ends");
    expect(errors).toEqual(["SerializationError", "TooLarge"]);
    expect(await run.result()).toBe("went on");
    expect(ofType(await run.history(), "StepHeartbeat").map((e) => e.details)).toEqual([{ ok: true }]);
  });

  it("keeps the lease of a step that heartbeats for far longer than leaseMs", async () => {
    let attempts = 0;
    const long = workflow("hbLease", async (ctx, _: null) =>
      ctx.step(
        "work",
        async (info) => {
          attempts++;
          for (let i = 0; i < 20; i++) {
            await sleepOn(info, 500);
            info.heartbeat(i);
          }
          return info.attempt;
        },
        { heartbeatTimeout: "2s" },
      ),
    );
    // 10 s of heartbeats under a 300 ms lease, renewed every 100 ms by the worker.
    const { engine, clock } = await kit([long], { leaseMs: 300 });
    clockRef = clock;
    const run = await engine.client.start(long, null, { id: "hb-5" });
    await until(clock, statusIs(engine, run.id, "succeeded"), "the step ends", "100ms");
    expect(await run.result()).toBe(1);
    expect(attempts).toBe(1);
    expect(ofType(await run.history(), "StepScheduled")).toHaveLength(1);
  });

  it("gives the attempt after a crash the heartbeat journaled before it, and describe shows it", async () => {
    const store = memoryStore();
    const seen: unknown[] = [];
    const resumable = workflow("hbCrash", async (ctx, _: null) =>
      ctx.step("copy", (info) => {
        seen.push(info.lastHeartbeat);
        return { from: info.lastHeartbeat, attempt: info.attempt };
      }),
    );
    // A worker that died during attempt 1, after journaling a heartbeat: written by hand.
    const clock = fakeClock();
    const codec = new Codec();
    const now = clock.now();
    const encode = (event: JournalEvent) => codec.encode(event, "test event");
    await store.executions.create({
      id: "hb-crash",
      workflow: "hbCrash",
      createdAt: now,
      started: encode({
        type: "ExecutionStarted",
        seq: 0,
        at: now,
        workflow: "hbCrash",
        version: 1,
        input: null,
        seed: 1,
      }),
    });
    const [claim] = await store.queue.claim({
      owner: "dead",
      workflows: ["hbCrash"],
      limit: 1,
      now,
      leaseMs: 1_000,
    });
    if (!claim) throw new Error("expected a claim");
    await store.journal.append(
      claim.lease,
      {
        expectedSeq: 1,
        events: [
          encode({ type: "StepScheduled", seq: 1, at: now, op: 0, name: "copy", attempt: 1 }),
          encode({ type: "StepHeartbeat", seq: 2, at: now + 5, op: 0, attempt: 1, details: { copied: 41 } }),
        ],
        currentStep: "copy",
      },
      now,
    );
    const reader = createEngine({ store, clock, log: () => {} });
    const description = await reader.client.describe("hb-crash");
    expect(description.heartbeats).toEqual([
      { step: "copy", op: 0, attempt: 1, details: { copied: 41 }, at: new Date(now + 5) },
    ]);

    const engine = createEngine({ store, clock, pollInterval: 3_600_000, log: () => {} });
    const worker = engine.worker({ workflows: [resumable], leaseMs: 60_000 });
    await worker.start();
    stops.push(() => worker.stop());
    await until(clock, statusIs(engine, "hb-crash", "succeeded"), "the next attempt runs");
    expect(seen).toEqual([{ copied: 41 }]);
    expect(await engine.client.result("hb-crash")).toEqual({ from: { copied: 41 }, attempt: 2 });
  });
});

describe("executionTimeout", () => {
  let after = 0;
  const sleeper = workflow("etSleep", async (ctx, _: null) => {
    await ctx.sleep("nap", "1d");
    after++;
    return "woke";
  });
  const waiter = workflow("etWait", async (ctx, _: null) => {
    const value = await ctx.waitForEvent("go");
    after++;
    return value;
  });

  it("ends a sleeping execution at its deadline as timed_out, running no code after it", async () => {
    after = 0;
    const { engine, clock, store } = await kit([sleeper]);
    const run = await engine.client.start(sleeper, null, { id: "et-1", executionTimeout: "1h" });
    await until(clock, statusIs(engine, run.id, "sleeping"), "it sleeps");
    const [started] = await run.history();
    const timeoutAt = (started as Extract<JournalEvent, { type: "ExecutionStarted" }>).timeoutAt;
    expect(timeoutAt).toBe((started?.at as number) + 3_600_000);
    expect((await store.executions.get(run.id))?.dueAt).toBe(timeoutAt);
    await clock.advance("59m");
    expect((await run.describe()).status).toBe("sleeping");
    await until(clock, statusIs(engine, run.id, "timed_out"), "it times out", "1m");
    const error = await failure(run.result());
    expect(TimeoutError.is(error)).toBe(true);
    expect(error.message).toBe('Execution "et-1" timed out after its executionTimeout of 3600000 ms.');
    const history = await run.history();
    expect(history.at(-1)).toMatchObject({ type: "ExecutionTimedOut", timeoutMs: 3_600_000 });
    expect(history.at(-1)?.at).toBeGreaterThanOrEqual(timeoutAt as number);
    await clock.advance("2d");
    expect(after).toBe(0);
    expect(ofType(await run.history(), "TimerFired")).toHaveLength(0);
    expect((await run.describe()).error?.message).toBe(error.message);
  });

  it("ends a waiting execution (due at its deadline) and refuses events after it", async () => {
    after = 0;
    const { engine, clock, store } = await kit([waiter]);
    const run = await engine.client.start(waiter, null, { id: "et-2", executionTimeout: "30m" });
    await until(clock, statusIs(engine, run.id, "waiting"), "it waits");
    const record = await store.executions.get(run.id);
    expect(record?.dueAt).toBe((record?.createdAt as number) + 1_800_000);
    await until(clock, statusIs(engine, run.id, "timed_out"), "it times out", "1m");
    const refused = await failure(run.sendEvent("go", 1));
    expect(ExecutionFinishedError.is(refused)).toBe(true);
    expect(after).toBe(0);
    expect((await engine.client.list({ status: "timed_out" })).map((d) => d.id)).toEqual(["et-2"]);
  });

  it("aborts a running step's signal and ends the execution at the deadline", async () => {
    after = 0;
    let reason: unknown;
    const busy = workflow("etStep", async (ctx, _: null) => {
      await ctx.step("crunch", (info) => {
        info.signal.addEventListener("abort", () => {
          reason = info.signal.reason;
        });
        return hang(info);
      });
      after++;
      return "done";
    });
    const { engine, clock } = await kit([busy]);
    const run = await engine.client.start(busy, null, { id: "et-3", executionTimeout: "10m" });
    await clock.advance("9m");
    expect((await run.describe()).status).toBe("running");
    await until(clock, statusIs(engine, run.id, "timed_out"), "it times out", "1m");
    expect(TimeoutError.is(reason)).toBe(true);
    expect((reason as Error).message).toContain("executionTimeout of 600000 ms");
    expect(after).toBe(0);
    const history = await run.history();
    expect(checkJournal(history)).toEqual({ ok: true });
    expect(history.map((e) => e.type)).toEqual(["ExecutionStarted", "StepScheduled", "ExecutionTimedOut"]);
  });

  it("requests cancellation of the children of a timed-out parent", async () => {
    const child = workflow("etChild", async (ctx, _: null) => ctx.waitForEvent("never"));
    const parent = workflow("etParent", async (ctx, _: null) => ctx.child(child, null));
    const { engine, clock } = await kit([parent, child]);
    const run = await engine.client.start(parent, null, { id: "et-4", executionTimeout: "5m" });
    await until(
      clock,
      async () => (await engine.client.list({ workflow: "etChild" })).length === 1,
      "the child",
    );
    await until(clock, statusIs(engine, run.id, "timed_out"), "the parent times out", "1m");
    await until(clock, statusIs(engine, "et-4/etChild", "cancelled"), "the child is cancelled");
  });

  it("ends a blocked execution resumed past its deadline as timed_out, without replaying it", async () => {
    let replays = 0;
    const stalls = workflow("etStalls", async (ctx, _: null) => {
      replays++;
      await ctx.step("first", () => 1);
      await new Promise(() => {}); // not a ctx operation: the execution is parked as blocked
    });
    const { engine, clock } = await kit([stalls]);
    const run = await engine.client.start(stalls, null, { id: "et-5", executionTimeout: "1h" });
    await until(clock, statusIs(engine, run.id, "blocked"), "it is blocked");
    await clock.advance("2h");
    expect((await run.describe()).status).toBe("blocked");
    const before = replays;
    expect(await run.resume()).toBe(true);
    await until(clock, statusIs(engine, run.id, "timed_out"), "it times out");
    expect(replays).toBe(before);
    expect((await run.history()).at(-1)).toMatchObject({ type: "ExecutionTimedOut", timeoutMs: 3_600_000 });
  });

  it("refuses an executionTimeout that is not a positive duration, writing nothing", async () => {
    const { engine } = await kit([sleeper]);
    const bad = fc.oneof(
      fc.constantFrom(0, -1, Number.NaN, Number.POSITIVE_INFINITY, 1e300, "", "soon", "-5m", "0s"),
      fc.double({ max: -Number.MIN_VALUE }),
      fc.string().filter((s) => !/^\s*\d/.test(s)),
    );
    let n = 0;
    await fc.assert(
      fc.asyncProperty(bad, async (value) => {
        const id = `bad-${n++}`;
        const error = await failure(
          engine.client.start(sleeper, null, { id, executionTimeout: value as never }),
        );
        expect(InvalidArgumentError.is(error)).toBe(true);
        expect(error.message).toContain("executionTimeout");
        expect(await engine.client.list({ workflow: "etSleep" })).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });

  it("refuses a step totalTimeout or heartbeatTimeout that is not a positive duration", async () => {
    for (const option of ["totalTimeout", "heartbeatTimeout"] as const) {
      const bad = workflow(`badStep-${option}`, async (ctx, _: null) => {
        try {
          await ctx.step("s", () => 1, { [option]: -1 });
          return "accepted";
        } catch (error) {
          return InvalidArgumentError.is(error) ? (error as Error).message : "other";
        }
      });
      const { engine, clock } = await kit([bad]);
      const run = await engine.client.start(bad, null);
      await until(clock, statusIs(engine, run.id, "succeeded"), "the workflow ends");
      expect(await run.result()).toContain(`ctx.step("s") ${option}`);
    }
  });
});

/** The fake clock of the running case, for bodies that sleep on it. */
let clockRef: FakeClock | undefined;
function sleepOn(info: StepInfo, ms: number): Promise<void> {
  return (clockRef as FakeClock).sleep(ms, info.signal);
}
