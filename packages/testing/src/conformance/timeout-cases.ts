import {
  createEngine,
  type Engine,
  ExecutionFinishedError,
  type JournalEvent,
  type Store,
  TimeoutError,
  type WorkflowDefinition,
  workflow,
} from "@stepline/core";
import { expect } from "vitest";
import { type FakeClock, fakeClock } from "../fake-clock.js";
import type { ConformanceCase } from "./conformance-case.js";

const HOUR = 3_600_000;

/** Workflow code that ran after its sleep or wait: must stay 0 for a timed-out execution. */
let ranAfter = 0;

const sleeper = workflow("timeoutSleeper", async (ctx, _: null) => {
  await ctx.sleep("nap", "1d");
  ranAfter++;
  return "woke";
});

const waiter = workflow("timeoutWaiter", async (ctx, _: null) => {
  const go = await ctx.waitForEvent("go");
  ranAfter++;
  return go;
});

/**
 * A real engine on the store under test with a fake clock (as long-duration-cases.ts):
 * `until` gives stores that do real I/O real time, and moves the clock a minute at a
 * time so that due executions are claimed.
 */
async function withEngine(
  store: Store,
  // biome-ignore lint/suspicious/noExplicitAny: a definition of any input and output type.
  definition: WorkflowDefinition<any, any>,
  body: (kit: { engine: Engine; clock: FakeClock; until: Until }) => Promise<void>,
): Promise<void> {
  const clock = fakeClock();
  const engine = createEngine({ store, clock, pollInterval: HOUR, log: () => {} });
  const worker = engine.worker({ workflows: [definition], leaseMs: 10 * HOUR });
  await worker.start();
  const until: Until = async (condition, what) => {
    const deadline = Date.now() + 15_000;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
      await clock.advance("1m");
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  try {
    ranAfter = 0;
    await body({ engine, clock, until });
  } finally {
    await Promise.race([worker.stop(), new Promise((resolve) => setTimeout(resolve, 2_000))]);
  }
}

type Until = (condition: () => Promise<boolean>, what: string) => Promise<void>;

const statusIs = (engine: Engine, id: string, status: string) => async () =>
  (await engine.client.describe(id)).status === status;

function startedOf(history: JournalEvent[]): Extract<JournalEvent, { type: "ExecutionStarted" }> {
  const first = history[0];
  if (first?.type !== "ExecutionStarted") throw new Error("expected ExecutionStarted first");
  return first;
}

/** Checks what every store must show for a timed-out execution. */
async function expectTimedOut(engine: Engine, id: string, workflowName: string, timeoutMs: number) {
  const description = await engine.client.describe(id);
  expect(description.status).toBe("timed_out");
  expect(description.error?.message).toBe(
    `Execution "${id}" timed out after its executionTimeout of ${timeoutMs} ms.`,
  );
  let error: unknown;
  await engine.client.result(id).catch((e: unknown) => {
    error = e;
  });
  expect(TimeoutError.is(error)).toBe(true);
  const history = await engine.client.history(id);
  expect(history.at(-1)).toMatchObject({ type: "ExecutionTimedOut", timeoutMs });
  expect(history.at(-1)?.at).toBeGreaterThanOrEqual(startedOf(history).timeoutAt as number);
  const listed = await engine.client.list({ status: "timed_out", workflow: workflowName });
  expect(listed.map((d) => [d.id, d.status])).toEqual([[id, "timed_out"]]);
  expect(await engine.client.list({ status: "running", workflow: workflowName })).toEqual([]);
  expect(ranAfter).toBe(0);
}

/** The execution timeout (`client.start(..., { executionTimeout })`) through a real engine. */
export const timeoutCases: readonly ConformanceCase[] = [
  {
    name: "a sleeping execution ends timed_out at its executionTimeout, before its timer",
    run: (store) =>
      withEngine(store, sleeper, async ({ engine, until }) => {
        const run = await engine.client.start(sleeper, null, { id: "timeout-sleep", executionTimeout: "1h" });
        await until(statusIs(engine, run.id, "sleeping"), "the execution sleeps");
        const timeoutAt = startedOf(await run.history()).timeoutAt as number;
        // Released due at its deadline, not at its timer a day away.
        expect((await store.executions.get(run.id))?.dueAt).toBe(timeoutAt);
        await until(statusIs(engine, run.id, "timed_out"), "the execution times out");
        await expectTimedOut(engine, run.id, "timeoutSleeper", HOUR);
        expect((await run.history()).some((e) => e.type === "TimerFired")).toBe(false);
      }),
  },
  {
    name: "a waiting execution ends timed_out at its executionTimeout and refuses events after it",
    run: (store) =>
      withEngine(store, waiter, async ({ engine, until }) => {
        const run = await engine.client.start(waiter, null, { id: "timeout-wait", executionTimeout: "30m" });
        await until(statusIs(engine, run.id, "waiting"), "the execution waits");
        const timeoutAt = startedOf(await run.history()).timeoutAt as number;
        expect((await store.executions.get(run.id))?.dueAt).toBe(timeoutAt);
        await until(statusIs(engine, run.id, "timed_out"), "the execution times out");
        await expectTimedOut(engine, run.id, "timeoutWaiter", 30 * 60_000);
        let refused: unknown;
        await run.sendEvent("go", true).catch((e: unknown) => {
          refused = e;
        });
        expect(ExecutionFinishedError.is(refused)).toBe(true);
        expect((await store.executions.get(run.id))?.status).toBe("timed_out");
      }),
  },
];
